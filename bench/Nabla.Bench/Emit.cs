using System.Text.Json;

namespace Nabla.Bench;

/// <summary>Prints one JSON result line in the format of ../shared/bench/ref/common.py's emit().</summary>
public static class Emit
{
    public static void Line(string workload, string metric, object value, params (string key, object value)[] extras)
    {
        var d = new Dictionary<string, object> { ["workload"] = workload, ["impl"] = "csharp", ["metric"] = metric, ["value"] = value };
        foreach (var (k, v) in extras) d[k] = v;
        Console.WriteLine(JsonSerializer.Serialize(d));
    }

    public static double Median(List<double> xs) { var s = xs.OrderBy(x => x).ToList(); int n = s.Count; return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]); }
}
