namespace Nabla.Tests.Tensors;

/// <summary>
/// Forward values and gradients against PyTorch (fixture written by tests/fixtures/gen/tensor_ops.py):
/// for each case, out = f(inputs) and ∂(Σ out ⊙ w)/∂input for the stored upstream gradient w.
/// </summary>
public class TorchParityTests
{
    static readonly Lazy<Dictionary<string, Tensor>> Fix = new(() => TT.LoadFixture("tensor_ops.safetensors"));

    public static IEnumerable<object[]> Cases() => Ops.Keys.Select(k => new object[] { k });

    static readonly Dictionary<string, Func<Tensor[], Tensor>> Ops = new()
    {
        ["gelu"] = t => t[0].Gelu(),
        ["gelu_tanh"] = t => t[0].Gelu(tanhApproximation: true),
        ["softplus"] = t => t[0].Softplus(),
        ["silu"] = t => t[0].Silu(),
        ["sigmoid"] = t => t[0].Sigmoid(),
        ["tanh"] = t => t[0].Tanh(),
        ["sin"] = t => t[0].Sin(),
        ["cos"] = t => t[0].Cos(),
        ["rsqrt"] = t => t[0].Rsqrt(),
        ["leaky_relu"] = t => t[0].LeakyRelu(0.1f),
        ["logsumexp1"] = t => t[0].LogSumExp(1),
        ["logsumexp0k"] = t => t[0].LogSumExp(0, keepDim: true),
        ["softmax_last"] = t => t[0].Softmax(-1),
        ["softmax_mid"] = t => t[0].Softmax(1),
        ["log_softmax_last"] = t => t[0].LogSoftmax(-1),
        ["log_softmax_first"] = t => t[0].LogSoftmax(0),
        ["var_all"] = t => t[0].Var(),
        ["var_axes"] = t => t[0].Var(new[] { 0, 2 }, keepDim: true),
        ["var_biased"] = t => t[0].Var(1, correction: 0),
        ["std_axis"] = t => t[0].Std(1),
        ["pow_tt"] = t => Tensor.Pow(t[0], t[1]),
        ["pow_zero_base"] = t => Tensor.Pow(t[0], t[1]),
        ["pow_scalar"] = t => t[0].Pow(3f),
        ["add_bcast"] = t => t[0] + t[1],
        ["mul_bcast"] = t => t[0] * t[1],
        ["div_bcast"] = t => t[0] / t[1],
        ["sub_bcast"] = t => t[0] - t[1],
        ["maximum_ties"] = t => Tensor.Maximum(t[0], t[1]),
        ["minimum_bcast"] = t => Tensor.Minimum(t[0], t[1]),
        ["clamp_bounds"] = t => t[0].Clamp(-1f, 1f),
        ["max_all_ties"] = t => t[0].Max(),
        ["max_dim"] = t => t[0].Max(1),
        ["min_dim_keep"] = t => t[0].Min(0, keepDim: true),
        ["matmul_batched_bcast"] = t => t[0] % t[1],
        ["matmul_vec_mat"] = t => t[0] % t[1],
        ["matmul_mat_vec"] = t => t[0] % t[1],
        ["matmul_vec_vec"] = t => t[0] % t[1],
        ["mean_axes"] = t => t[0].Mean(new[] { 1 }),
        ["sum_neg_axis_keep"] = t => t[0].Sum(-1, keepDim: true),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        var f = Fix.Value;
        var inputs = new List<Tensor>();
        foreach (var k in new[] { "x", "y" })
            if (f.TryGetValue($"{name}.{k}", out var t)) inputs.Add(t.Clone().Detach().RequireGrad());
        var args = inputs.ToArray();
        var outp = Ops[name](args);
        var expected = f[$"{name}.out"];
        Assert.Equal(expected.Shape, outp.Shape);
        TT.Near(expected.Data, outp.Data, 2e-5f, name + ".out");
        (outp * f[$"{name}.w"]).Sum().Backward();
        for (int i = 0; i < args.Length; i++)
        {
            var g = f[$"{name}.g{"xy"[i]}"];
            TT.Near(g.Data, (args[i].Grad ?? Tensor.ZerosLike(args[i])).Data, 5e-5f, $"{name}.g{"xy"[i]}");
        }
    }

    [Fact]
    public void FixtureCoversEveryCase()
    {
        var names = Fix.Value.Keys.Where(k => k.EndsWith(".out")).Select(k => k[..^4]).ToHashSet();
        Assert.Equal(names.OrderBy(s => s), Ops.Keys.OrderBy(s => s));
    }
}
