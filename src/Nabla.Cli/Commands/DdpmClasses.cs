using Nabla.Data;

namespace Nabla.Cli.Commands;

/// <summary>Fashion-MNIST class names as the DDPM commands accept and print them.</summary>
public static class DdpmClasses
{
    static string Norm(string s) => new(s.ToLowerInvariant().Where(char.IsLetterOrDigit).ToArray());

    static readonly Dictionary<string, int> Aliases = new()
    {
        ["tshirt"] = 0, ["top"] = 0, ["tee"] = 0, ["trousers"] = 1, ["pants"] = 1, ["sweater"] = 2, ["boot"] = 9, ["boots"] = 9, ["sneakers"] = 7, ["sandals"] = 5,
    };

    /// <summary>
    /// A class by index ("7") or name, case and punctuation ignored ("sneaker", "Ankle boot", "t-shirt"), or a unique
    /// prefix ("pull"). Throws ArgumentException listing the names.
    /// </summary>
    public static int Parse(string text, int numClasses = 10)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (int.TryParse(text, out int i))
        {
            if (i < 0 || i >= numClasses) throw new ArgumentException($"--class {i} is not a class index in 0..{numClasses - 1}");
            return i;
        }
        var names = FashionMnist.ClassNames;
        string n = Norm(text);
        if (n.Length > 0)
        {
            for (int k = 0; k < names.Count; k++) if (Norm(names[k]) == n) return k;
            if (Aliases.TryGetValue(n, out int a)) return a;
            var prefix = Enumerable.Range(0, names.Count).Where(k => Norm(names[k]).StartsWith(n, StringComparison.Ordinal)).ToList();
            if (prefix.Count == 1) return prefix[0];
        }
        throw new ArgumentException($"--class '{text}' is not a Fashion-MNIST class; use an index 0–9 or one of: {string.Join(", ", names.Select((s, k) => $"{k} {s}"))}");
    }

    /// <summary>The display name of class <paramref name="k"/>.</summary>
    public static string Name(int k) => k >= 0 && k < FashionMnist.ClassNames.Count ? FashionMnist.ClassNames[k] : $"class {k}";
}
