namespace Nabla.Tests.Tensors;

/// <summary>Finite-difference checks of every differentiable op's gradient rule, with broadcasting cases.</summary>
public class GradCheckTests
{
    static Tensor R(ulong seed, params int[] shape) => TT.R(seed, shape);
    static Tensor Pos(ulong seed, params int[] shape) => TT.R(seed, shape).Abs() + 0.5f;   // a leaf (Abs+Add run before RequireGrad)

    /// <summary>Distinct multiples of 0.1 in random order: no ties or near-ties within the finite-difference step.</summary>
    static Tensor Spread(ulong seed, params int[] shape)
    {
        int n = ShapeMath.Size(shape);
        var p = new Generator(seed).Permutation(n);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.1f * (p[i] - n / 2);
        return Tensor.FromArray(v, shape);
    }

    static Tensor Leaf(Tensor t) => t.Detach();
    static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => TT.Grad(f, inputs.Select(Leaf).ToArray());

    // ------------------------------------------------------------------ binary, with broadcasting
    public static IEnumerable<object[]> BroadcastShapes() => new[]
    {
        new object[] { new[] { 2, 3 }, new[] { 2, 3 } },
        new object[] { new[] { 2, 3, 4 }, new[] { 3, 1 } },
        new object[] { new[] { 4 }, new[] { 2, 3, 4 } },
        new object[] { new[] { 3, 1 }, new[] { 1, 4 } },
        new object[] { new int[0], new[] { 2, 3 } },
        new object[] { new[] { 2, 1, 4 }, new int[0] },
    };

    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Add(int[] a, int[] b) => Check(t => t[0] + t[1], R(1, a), R(2, b));
    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Sub(int[] a, int[] b) => Check(t => t[0] - t[1], R(1, a), R(2, b));
    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Mul(int[] a, int[] b) => Check(t => t[0] * t[1], R(1, a), R(2, b));
    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Div(int[] a, int[] b) => Check(t => t[0] / t[1], R(1, a), Pos(2, b));
    [Theory, MemberData(nameof(BroadcastShapes))]
    public void PowTensor(int[] a, int[] b) => Check(t => Tensor.Pow(t[0], t[1]), Pos(1, a), R(2, b));
    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Maximum(int[] a, int[] b) => Check(t => Tensor.Maximum(t[0], t[1]), Spread(1, a), Spread(2, b) + 0.05f);
    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Minimum(int[] a, int[] b) => Check(t => Tensor.Minimum(t[0], t[1]), Spread(1, a), Spread(2, b) + 0.05f);

    [Fact] public void SameTensorBothSides() => Check(t => t[0] * t[0] + t[0] / (t[0].Abs() + 1f), R(3, 2, 3));

    // ------------------------------------------------------------------ tensor–scalar
    [Fact] public void AddScalar() => Check(t => t[0] + 2.5f, R(1, 2, 3));
    [Fact] public void ScalarAdd() => Check(t => 2.5f + t[0], R(1, 2, 3));
    [Fact] public void SubScalar() => Check(t => t[0] - 2.5f, R(1, 2, 3));
    [Fact] public void ScalarSub() => Check(t => 2.5f - t[0], R(1, 2, 3));
    [Fact] public void MulScalar() => Check(t => t[0] * -1.5f, R(1, 2, 3));
    [Fact] public void ScalarMul() => Check(t => -1.5f * t[0], R(1, 2, 3));
    [Fact] public void DivScalar() => Check(t => t[0] / 3f, R(1, 2, 3));
    [Fact] public void ScalarDiv() => Check(t => 3f / t[0], Pos(1, 2, 3));
    [Fact] public void ScalarDivZeroNumerator() => Check(t => 0f / t[0], Pos(1, 2, 3));

    // ------------------------------------------------------------------ unary
    [Fact] public void Neg() => Check(t => -t[0], R(1, 2, 3));
    [Fact] public void Exp() => Check(t => t[0].Exp(), R(1, 2, 3));
    [Fact] public void Log() => Check(t => t[0].Log(), Pos(1, 2, 3));
    [Fact] public void Sqrt() => Check(t => t[0].Sqrt(), Pos(1, 2, 3));
    [Fact] public void Abs() => Check(t => t[0].Abs(), TT.RAway(1, 2, 3));
    [Fact] public void PowScalar() => Check(t => t[0].Pow(3f), R(1, 2, 3));
    [Fact] public void PowScalarFractional() => Check(t => t[0].Pow(1.5f), Pos(1, 2, 3));
    [Fact] public void PowScalarNegative() => Check(t => t[0].Pow(-2f), Pos(1, 2, 3));
    [Fact] public void Square() => Check(t => t[0].Square(), R(1, 2, 3));
    [Fact] public void Clamp() => Check(t => t[0].Clamp(-0.5f, 0.5f), Spread(1, 3, 4) + 0.025f);
    [Fact] public void ClampOneSided() => Check(t => t[0].Clamp(min: 0.07f), Spread(1, 3, 4) + 0.025f);
    [Fact] public void Relu() => Check(t => t[0].Relu(), TT.RAway(1, 3, 4));
    [Fact] public void LeakyRelu() => Check(t => t[0].LeakyRelu(0.2f), TT.RAway(1, 3, 4));
    [Fact] public void Sigmoid() => Check(t => t[0].Sigmoid(), R(1, 3, 4));
    [Fact] public void Tanh() => Check(t => t[0].Tanh(), R(1, 3, 4));
    [Fact] public void Silu() => Check(t => t[0].Silu(), R(1, 3, 5));   // 15 elements: vector and scalar tails
    [Fact] public void Gelu() => Check(t => t[0].Gelu(), R(1, 3, 4) * 2f);
    [Fact] public void GeluTanh() => Check(t => t[0].Gelu(tanhApproximation: true), R(1, 3, 4) * 2f);
    [Fact] public void Softplus() => Check(t => t[0].Softplus(), R(1, 3, 4) * 3f);
    [Fact] public void SoftplusAboveThreshold() => Check(t => t[0].Softplus(threshold: 1f), Tensor.FromArray(new[] { -2f, 0.5f, 1.5f, 3f }));
    [Fact] public void Sin() => Check(t => t[0].Sin(), R(1, 3, 4) * 2f);
    [Fact] public void Cos() => Check(t => t[0].Cos(), R(1, 3, 4) * 2f);
    [Fact] public void Reciprocal() => Check(t => t[0].Reciprocal(), Pos(1, 3, 4));
    [Fact] public void Rsqrt() => Check(t => t[0].Rsqrt(), Pos(1, 3, 4));
    [Fact] public void Sign() => Check(t => t[0].Sign() * t[0], TT.RAway(1, 3, 4));
    [Fact] public void Clone() => Check(t => t[0].Clone() * t[0], R(1, 3, 4));

    // ------------------------------------------------------------------ reductions
    [Fact] public void SumAll() => Check(t => t[0].Sum(), R(1, 2, 3, 4));
    [Theory]
    [InlineData(new[] { 0 }, false)]
    [InlineData(new[] { 1 }, true)]
    [InlineData(new[] { -1 }, false)]
    [InlineData(new[] { 0, 2 }, true)]
    [InlineData(new[] { 2, 0 }, false)]
    public void Sum(int[] axes, bool keep) => Check(t => t[0].Sum(axes, keep), R(1, 2, 3, 4));
    [Theory]
    [InlineData(new[] { 1 }, false)]
    [InlineData(new[] { 0, 2 }, true)]
    public void Mean(int[] axes, bool keep) => Check(t => t[0].Mean(axes, keep), R(1, 2, 3, 4));
    [Fact] public void MeanAll() => Check(t => t[0].Mean(), R(1, 2, 3, 4));
    [Theory]
    [InlineData(new[] { 1 }, false, 1)]
    [InlineData(new[] { 0, 2 }, true, 0)]
    public void Var(int[] axes, bool keep, int correction) => Check(t => t[0].Var(axes, keep, correction), R(1, 2, 3, 4));
    [Fact] public void VarAll() => Check(t => t[0].Var(), R(1, 3, 4));
    [Fact] public void Std() => Check(t => t[0].Std(1, keepDim: true), R(1, 3, 4));
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    public void MaxAxis(int axis, bool keep) => Check(t => t[0].Max(axis, keep), Spread(1, 2, 3, 4));
    [Theory]
    [InlineData(0, true)]
    [InlineData(2, false)]
    public void MinAxis(int axis, bool keep) => Check(t => t[0].Min(axis, keep), Spread(1, 2, 3, 4));
    [Fact] public void MaxAll() => Check(t => t[0].Max(), Spread(1, 3, 4));
    [Fact] public void MinAll() => Check(t => t[0].Min(), Spread(1, 3, 4));
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    public void LogSumExp(int axis, bool keep) => Check(t => t[0].LogSumExp(axis, keep), R(1, 2, 3, 4));
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void Softmax(int axis) => Check(t => t[0].Softmax(axis), R(1, 2, 3, 4));
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void LogSoftmax(int axis) => Check(t => t[0].LogSoftmax(axis), R(1, 2, 3, 4));

    // ------------------------------------------------------------------ matmul
    public static IEnumerable<object[]> MatMulShapes() => new[]
    {
        new object[] { new[] { 3, 4 }, new[] { 4, 2 } },
        new object[] { new[] { 2, 3, 4 }, new[] { 2, 4, 5 } },
        new object[] { new[] { 2, 1, 3, 4 }, new[] { 3, 4, 2 } },   // broadcast batch both ways
        new object[] { new[] { 2, 3, 4 }, new[] { 4, 5 } },          // shared right operand
        new object[] { new[] { 3, 4 }, new[] { 2, 4, 5 } },          // shared left operand
        new object[] { new[] { 4 }, new[] { 4, 3 } },
        new object[] { new[] { 2, 3, 4 }, new[] { 4 } },
        new object[] { new[] { 4 }, new[] { 2, 4, 3 } },
        new object[] { new[] { 4 }, new[] { 4 } },
    };

    [Theory, MemberData(nameof(MatMulShapes))]
    public void MatMul(int[] a, int[] b) => Check(t => t[0] % t[1], R(1, a), R(2, b));

    // ------------------------------------------------------------------ shape ops
    [Fact] public void Reshape() => Check(t => t[0].Reshape(4, -1) * Tensor.Arange(6), R(1, 2, 3, 4));
    [Fact] public void View() => Check(t => t[0].View(6, 4).Square(), R(1, 2, 3, 4));
    [Fact] public void Flatten() => Check(t => t[0].Flatten(1).Square(), R(1, 2, 3, 4));
    [Fact] public void UnsqueezeSqueeze() => Check(t => (t[0].Unsqueeze(1) * R(5, 2, 3, 4)).Sum(0).Squeeze(), R(1, 2, 4));
    [Fact] public void Permute() => Check(t => t[0].Permute(2, 0, 1) * Tensor.Arange(24).Reshape(4, 2, 3), R(1, 2, 3, 4));
    [Fact] public void Transpose() => Check(t => t[0].Transpose(0, 2) * Tensor.Arange(24).Reshape(4, 3, 2), R(1, 2, 3, 4));
    [Fact] public void MatrixT() => Check(t => t[0].T % t[0], R(1, 3, 2));
    [Fact] public void Expand() => Check(t => t[0].Expand(2, 3, 4) * Tensor.Arange(24).Reshape(2, 3, 4), R(1, 3, 1));
    [Fact] public void ExpandKeepDim() => Check(t => t[0].Expand(2, -1, 4).Square(), R(1, 3, 1));
    [Fact]
    public void Concat() => Check(t => Tensor.Concat(new[] { t[0], t[1], t[0] }, 1) * Tensor.Arange(2 * 7 * 2).Reshape(2, 7, 2), R(1, 2, 3, 2), R(2, 2, 1, 2));
    [Fact] public void Stack() => Check(t => Tensor.Stack(new[] { t[0], t[1] }, -1) * Tensor.Arange(12).Reshape(2, 3, 2), R(1, 2, 3), R(2, 2, 3));
    [Fact]
    public void Split() => Check(t => { var p = t[0].Split(new[] { 1, 3 }, 1); return p[0].Sum() * p[1].Square(); }, R(1, 2, 4));
    [Fact]
    public void Chunk() => Check(t => { var p = t[0].Chunk(2, -1); return p[0] * p[1]; }, R(1, 3, 4));
    [Theory]
    [InlineData(0, 0, 2, 1)]
    [InlineData(1, 1, 4, 2)]
    [InlineData(2, -3, 100, 2)]
    [InlineData(-1, 0, 4, 3)]
    public void Slice(int axis, int start, int end, int step) => Check(t => t[0].Slice(axis, start, end, step).Square(), R(1, 2, 4, 5));
    [Fact] public void IndexSelectWithRepeats() => Check(t => t[0].IndexSelect(1, new[] { 2, 0, 2, 2 }).Square(), R(1, 2, 3, 2));
    [Fact]
    public void Gather()
    {
        var idx = Tensor.FromArray(new float[] { 0, 2, 2, 1, 0, 0 }, 2, 3);
        Check(t => t[0].Gather(1, idx).Square(), R(1, 2, 4));
    }
    [Fact]
    public void WhereBroadcast()
    {
        var c = Tensor.FromArray(new float[] { 1, 0, 1, 0 }, 4);
        Check(t => Tensor.Where(c, t[0], t[1]).Square(), R(1, 3, 4), R(2, 3, 1));
    }
    [Fact]
    public void MaskedFill()
    {
        var m = Tensor.FromArray(new float[] { 1, 0, 0, 1, 1, 0 }, 2, 3);
        Check(t => t[0].MaskedFill(m, -3f).Square(), R(1, 2, 3));
    }

    // ------------------------------------------------------------------ a composite (attention-like)
    [Fact]
    public void AttentionLike() => Check(t => (t[0] % t[1].Transpose(-1, -2) / 2f).Softmax(-1) % t[2], R(1, 2, 3, 4), R(2, 2, 5, 4), R(3, 2, 5, 3));
}
