using Nabla.Models;

namespace Nabla.Tests;

public class WorkedExampleTests
{
    static float[] V(IReadOnlyList<WorkedExample.Step> s, string prefix) => s.First(x => x.Name.StartsWith(prefix)).Value.ToArray();

    static void Near(float[] expected, float[] actual, float tol = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void ReproducesTheNotesToTheDigit()
    {
        var s = WorkedExample.Run(0.1f);
        Near(new[] { -0.4f, 1.7f }, V(s, "z1"));   // the notes print −0.9: a typo (0.5·1 − 0.5·2 + 0.1 = −0.4)
        Near(new[] { 0f, 1.7f }, V(s, "a1"));
        Near(new[] { -0.18f }, V(s, "ŷ"));
        Near(new[] { 0.6962f }, V(s, "L = "));
        Near(new[] { -1.18f }, V(s, "∂L/∂ŷ"));
        Near(new[] { 0f, -2.006f }, V(s, "∂L/∂W2"));
        Near(new[] { -1.18f }, V(s, "∂L/∂b2"));
        Near(new[] { -0.236f, 0.472f }, V(s, "∂L/∂a1"));
        Near(new[] { 0f, 0.472f }, V(s, "∂L/∂z1"));
        Near(new[] { 0f, 0f, 0.472f, 0.944f }, V(s, "∂L/∂W1"));
        Near(new[] { 0f, 0.472f }, V(s, "∂L/∂b1"));
        Near(new[] { 0.5f, -0.5f, 0.2528f, 0.7056f }, V(s, "W1 after"));
        Near(new[] { 0.1f, -0.2472f }, V(s, "b1 after"));
        Near(new[] { 0.2f, -0.1994f }, V(s, "W2 after"));
        Near(new[] { 0.618f }, V(s, "b2 after"));
        // ŷ' = −0.1994·(0.2528 + 2·0.7056 − 0.2472) + 0.618 = 0.33549; L' = ½(ŷ' − 1)²
        double yh = -0.1994 * (0.2528 + 2 * 0.7056 - 0.2472) + 0.618;
        Near(new[] { (float)(0.5 * (yh - 1) * (yh - 1)) }, V(s, "L after"));
    }
}
