namespace Nabla.Tests.Tensors;

/// <summary>Argument errors throw, and the message names the op and the shapes involved.</summary>
public class ErrorTests
{
    static Tensor Z(params int[] s) => Tensor.Zeros(s);

    static void Says(Exception e, params string[] parts)
    {
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }

    [Fact]
    public void BinaryShapeMismatch()
    {
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3) + Z(4)), "Add", "[2, 3]", "[4]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3) - Z(3, 3)), "Sub", "[2, 3]", "[3, 3]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3) * Z(2)), "Mul", "[2, 3]", "[2]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3) / Z(2, 1, 2)), "Div", "[2, 3]", "[2, 1, 2]");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Pow(Z(2), Z(3))), "Pow", "[2]", "[3]");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Maximum(Z(2), Z(3))), "Maximum");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Minimum(Z(2), Z(3))), "Minimum");
        Says(Assert.Throws<ArgumentException>(() => Z(2).Gt(Z(3))), "Gt", "[2]", "[3]");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Where(Z(2), Z(3), Z(3))), "Where", "[2]", "[3]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).MaskedFill(Z(2, 2), 0)), "MaskedFill", "[2, 2]", "[2, 3]");
        Says(Assert.Throws<ArgumentException>(() => Z(3).MaskedFill(Z(2, 3), 0)), "MaskedFill", "[2, 3]", "[3]");
    }

    [Fact]
    public void BadAxis()
    {
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Sum(2)), "Sum", "axis 2", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Mean(-3)), "Mean", "axis -3", "[2, 3]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).Sum(new[] { 1, -1 })), "Sum", "twice", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Var(5)), "Var", "axis 5", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Std(5)), "Var", "axis 5", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Max(2)), "Max", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Min(2)), "Min", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).ArgMax(2)), "ArgMax", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).LogSumExp(2)), "LogSumExp", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Softmax(2)), "Softmax", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).LogSoftmax(-3)), "LogSoftmax", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Transpose(0, 2)), "Transpose", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Unsqueeze(3)), "Unsqueeze", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Squeeze(2)), "Squeeze", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Flatten(0, 2)), "Flatten", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Slice(2, 0, 1)), "Slice", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Concat(new[] { Z(2), Z(2) }, 1)), "Concat", "[2]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Stack(new[] { Z(2), Z(2) }, 2)), "Stack", "[2]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Dim(2)), "Dim", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Gather(2, Z(2, 3)) ), "Gather", "[2, 3]");
        Says(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).IndexSelect(2, new[] { 0 })), "IndexSelect", "[2, 3]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).Flatten(1, 0)), "Flatten");
    }

    [Fact]
    public void BackwardErrors()
    {
        var x = Z(2, 3).RequireGrad();
        var y = x * 2f;
        Says(Assert.Throws<InvalidOperationException>(() => y.Backward()), "Backward", "[2, 3]", "not a scalar");
        Says(Assert.Throws<ArgumentException>(() => y.Backward(Z(3, 2))), "Backward", "[3, 2]", "[2, 3]");
        Says(Assert.Throws<InvalidOperationException>(() => Z(1).Backward()), "Backward", "does not require a gradient");
        y.Backward(Tensor.Ones(2, 3));
        Says(Assert.Throws<InvalidOperationException>(() => y.Backward(Tensor.Ones(2, 3))), "Backward", "released");
        Says(Assert.Throws<InvalidOperationException>(() => y.Sum()), "Sum", "[2, 3]", "released");
        Says(Assert.Throws<InvalidOperationException>(() => Tensor.Observe(x, Z(2, 3))), "Observe");
        var h = x * 3f;
        Says(Assert.Throws<ArgumentException>(() => Tensor.Observe(h, Z(3))), "Observe", "[3]", "[2, 3]");
    }

    [Fact]
    public void ItemAndIndexer()
    {
        Says(Assert.Throws<InvalidOperationException>(() => Z(2, 3).Item()), "Item", "[2, 3]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3)[1]), "indexer", "[2, 3]");
        Says(Assert.Throws<IndexOutOfRangeException>(() => Z(2, 3)[2, 0]), "indexer", "[2, 3]");
        Assert.Equal(0f, Z(2, 3)[-1, -1]);
    }

    [Fact]
    public void ReshapeErrors()
    {
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).Reshape(4, 2)), "Reshape", "[2, 3]", "[4, 2]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).Reshape(4, -1)), "Reshape", "[2, 3]", "[4, -1]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).Reshape(-1, -1)), "Reshape", "more than one");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).View(-2, 3)), "Reshape", "-2");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).Permute(0)), "Permute", "[2, 3]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).Permute(1, 1)), "Permute", "repeated");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).Expand(4, 3)), "Expand", "[2, 3]", "[4, 3]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3).Expand(3)), "Expand", "[2, 3]", "[3]");
        Says(Assert.Throws<ArgumentException>(() => Z(3).Expand(-1, 3)), "Expand", "−1");
        Says(Assert.Throws<InvalidOperationException>(() => Z(2, 3, 4).T), "T", "[2, 3, 4]");
    }

    [Fact]
    public void MatMulErrors()
    {
        Says(Assert.Throws<ArgumentException>(() => Z(2, 3) % Z(2, 3)), "MatMul", "[2, 3]", "3 vs 2");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 2, 3) % Z(3, 3, 4)), "MatMul", "[2]", "[3]");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Scalar(1) % Z(3)), "MatMul", "at least 1-D");
        Says(Assert.Throws<ArgumentException>(() => Z(3) % Z(4)), "MatMul", "3 vs 4");
    }

    [Fact]
    public void JoiningAndIndexingErrors()
    {
        Says(Assert.Throws<ArgumentException>(() => Tensor.Concat(Array.Empty<Tensor>())), "Concat", "no tensors");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Concat(new[] { Z(2, 3), Z(3, 3) }, 1)), "Concat", "[3, 3]", "[2, 3]");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Concat(new[] { Z(2, 3), Z(2) })), "Concat", "[2]", "[2, 3]");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Stack(new[] { Z(2, 3), Z(3, 2) })), "Stack", "[3, 2]", "[2, 3]");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Stack(Array.Empty<Tensor>())), "Stack");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 5).Split(new[] { 2, 2 }, 1)), "Split", "[2, 5]");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 5).Split(new[] { 6, -1 }, 1)), "Split", "negative");
        Says(Assert.Throws<ArgumentException>(() => Z(2, 5).Chunk(0)), "Chunk");
        Says(Assert.Throws<ArgumentException>(() => Z(5).Slice(0, 0, 5, 0)), "Slice", "step");
        Says(Assert.Throws<IndexOutOfRangeException>(() => Z(3, 2).IndexSelect(0, new[] { 3 })), "IndexSelect", "3", "[3, 2]");
        Says(Assert.Throws<IndexOutOfRangeException>(() => Z(3, 2).IndexSelect(0, new[] { -1 })), "IndexSelect", "[3, 2]");
        Says(Assert.Throws<ArgumentException>(() => Z(3, 2).Gather(1, Z(3))), "Gather", "[3]", "[3, 2]");
        Says(Assert.Throws<ArgumentException>(() => Z(3, 2).Gather(1, Z(4, 1))), "Gather", "[4, 1]", "[3, 2]");
        Says(Assert.Throws<IndexOutOfRangeException>(() => Z(3, 2).Gather(1, Tensor.Full(2, 3, 1))), "Gather", "[3, 2]");
        Says(Assert.Throws<IndexOutOfRangeException>(() => Z(3, 2).Gather(1, Tensor.Full(0.5f, 3, 1))), "Gather", "0.5");
        Says(Assert.Throws<ArgumentException>(() => Z(0, 3).Max(0)), "Max", "[0, 3]", "empty");
        Says(Assert.Throws<ArgumentException>(() => Z(0).Max()), "Max", "[0]", "empty");
    }

    [Fact]
    public void CreationErrors()
    {
        Says(Assert.Throws<ArgumentException>(() => new Tensor(new float[5], 2, 3)), "Tensor", "5", "[2, 3]");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -1)), "[2, -1]", "negative");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 5, 0)), "Arange", "step");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Linspace(0, 1, -1)), "Linspace", "-1");
        Says(Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[] { 1, 2, 3 }, 2, 2)), "3", "[2, 2]");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Ones(3).Clamp(2, 1)), "Clamp", "2", "1");
        Says(Assert.Throws<ArgumentException>(() => Tensor.Randint(new Generator(0), 3, 3, 2)), "FillInt", "[3, 3)");
        Says(Assert.Throws<ArgumentException>(() => new Generator(0).Permutation(-1)), "Permutation", "-1");
        Says(Assert.Throws<ArgumentException>(() => new Generator(0).NextInt(1, 0)), "NextInt");
    }
}
