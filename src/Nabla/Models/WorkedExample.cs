namespace Nabla.Models;

/// <summary>
/// The notes' worked example: a 2-2-1 network, ReLU hidden layer, linear output, L = ½(ŷ − y)²,
/// one forward pass, one backward pass (by the autodiff engine) and one gradient-descent step.
/// z₁ = W₁x + b₁, a₁ = ReLU(z₁), ŷ = z₂ = W₂·a₁ + b₂.
/// </summary>
/// <remarks>
/// The notes print z₁ = (−0.9, 1.7); with their W₁, x and b₁ the first entry is 0.5·1 − 0.5·2 + 0.1 = −0.4
/// (a typo in the notes). Every later number is unchanged because ReLU zeroes that entry either way.
/// </remarks>
public static class WorkedExample
{
    /// <summary>One named quantity of the example, in the order the notes compute it.</summary>
    public sealed record Step(string Name, Tensor Value);

    public static IReadOnlyList<Step> Run(float learningRate = 0.1f)
    {
        var x = Tensor.FromArray(new[] { 1f, 2f });
        var y = Tensor.Scalar(1f);
        var w1 = Tensor.FromArray(new float[,] { { 0.5f, -0.5f }, { 0.3f, 0.8f } }).RequireGrad();
        var b1 = Tensor.FromArray(new[] { 0.1f, -0.2f }).RequireGrad();
        var w2 = Tensor.FromArray(new[] { 0.2f, -0.4f }).RequireGrad();
        var b2 = Tensor.Scalar(0.5f).RequireGrad();

        var steps = new List<Step>();
        var z1 = w1 % x + b1;
        var a1 = z1.Relu();
        var yhat = w2 % a1 + b2;
        var diff = yhat - y;
        var loss = 0.5f * diff * diff;
        steps.Add(new("z1 = W1·x + b1", z1.Detach()));
        steps.Add(new("a1 = ReLU(z1)", a1.Detach()));
        steps.Add(new("ŷ = z2 = W2·a1 + b2", yhat.Detach()));
        steps.Add(new("L = ½(ŷ − y)²", loss.Detach()));

        // intermediate gradients, read off by hooking the engine's own backward on each intermediate
        var gYhat = Tensor.Scalar(0f); var gA1 = Tensor.Zeros(2); var gZ1 = Tensor.Zeros(2);
        Tensor.Observe(yhat, gYhat); Tensor.Observe(a1, gA1); Tensor.Observe(z1, gZ1);
        loss.Backward();

        steps.Add(new("∂L/∂ŷ", gYhat));
        steps.Add(new("∂L/∂W2", w2.Grad!));
        steps.Add(new("∂L/∂b2", b2.Grad!));
        steps.Add(new("∂L/∂a1", gA1));
        steps.Add(new("∂L/∂z1", gZ1));
        steps.Add(new("∂L/∂W1", w1.Grad!));
        steps.Add(new("∂L/∂b1", b1.Grad!));

        using (Tensor.NoGrad())
        {
            foreach (var p in new[] { w1, b1, w2, b2 })
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p.Grad!.Data, -learningRate, p.Data, p.Data);
            steps.Add(new($"W1 after one step (lr {learningRate})", w1.Detach()));
            steps.Add(new("b1 after one step", b1.Detach()));
            steps.Add(new("W2 after one step", w2.Detach()));
            steps.Add(new("b2 after one step", b2.Detach()));
            var yhat2 = w2 % (w1 % x + b1).Relu() + b2;
            var d2 = yhat2 - y;
            steps.Add(new("L after one step", 0.5f * d2 * d2));
        }
        return steps;
    }
}
