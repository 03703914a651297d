using System.CommandLine;
using System.Globalization;
using Nabla.Models;

namespace Nabla.Cli.Commands;

/// <summary>`nabla example backprop`: the notes' worked 2-layer example, every step named.</summary>
public static class ExampleCommand
{
    public static Command Create()
    {
        var example = new Command("example", "Worked examples from the notes");
        var backprop = new Command("backprop", "Forward and backward pass of the notes' 2-2-1 network, then one gradient-descent step");
        var lr = new Option<float>("--lr") { Description = "Learning rate of the gradient-descent step", DefaultValueFactory = _ => 0.1f };
        backprop.Options.Add(lr);
        backprop.SetAction(r =>
        {
            float rate = r.GetValue(lr);
            if (!(rate > 0) || float.IsInfinity(rate)) throw new ArgumentException($"--lr must be a positive number, got {rate}");
            Console.WriteLine("x = (1, 2), y = 1, W1 = [[0.5, −0.5], [0.3, 0.8]], b1 = (0.1, −0.2), W2 = (0.2, −0.4), b2 = 0.5");
            foreach (var s in WorkedExample.Run(rate))
                Console.WriteLine($"{s.Name,-32} {Format(s.Value)}");
            Console.WriteLine("(the notes print z1 = (−0.9, 1.7); W1·x + b1 gives −0.4 for the first entry — a typo there, nothing downstream changes)");
            return 0;
        });
        example.Subcommands.Add(backprop);
        return example;
    }

    static string Format(Tensor t)
    {
        string F(float v) => Math.Round(v, 6).ToString("0.######", CultureInfo.InvariantCulture);
        var v = t.ToArray();
        if (t.Rank == 0) return F(v[0]);
        if (t.Rank == 1) return "(" + string.Join(", ", v.Select(F)) + ")";
        int c = t.Dim(-1);
        return "[" + string.Join(", ", Enumerable.Range(0, v.Length / c).Select(i => "[" + string.Join(", ", v.Skip(i * c).Take(c).Select(F)) + "]")) + "]";
    }
}
