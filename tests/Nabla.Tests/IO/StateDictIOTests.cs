using Nabla.IO;
using Nabla.NN;

namespace Nabla.Tests;

public class StateDictIOTests
{
    sealed class Relu : Module
    {
        public override Tensor Forward(Tensor x) => x.Relu();
    }

    /// <summary>A layer with a float buffer and an integer buffer, like BatchNorm's running_mean / num_batches_tracked.</summary>
    sealed class Stats : Module
    {
        public readonly Tensor Scale, Running, Count;
        public Stats(int n)
        {
            Scale = RegisterParameter("scale", Tensor.Ones(n));
            Running = RegisterBuffer("running_mean", Tensor.Zeros(n));
            Count = RegisterBuffer("num_batches_tracked", Tensor.Scalar(0), integer: true);
        }
        public override Tensor Forward(Tensor x) => x * Scale;
    }

    static string TempFile() => Path.Combine(Path.GetTempPath(), "nabla-io-tests", Guid.NewGuid().ToString("N") + ".safetensors");

    static Sequential Net(ulong seed) => new(new Linear(3, 4, gen: new Generator(seed)), new Stats(4), new Linear(4, 2, gen: new Generator(seed + 1)));

    [Fact]
    public void ModuleRoundTripKeepsEveryTensorAndStoresIntegerBuffersAsI64()
    {
        var a = Net(1);
        var stats = (Stats)a[1];
        stats.Running.Data.Fill(0.5f);
        stats.Count.Data[0] = 17;
        var path = TempFile();
        try
        {
            a.SaveSafetensors(path, new Dictionary<string, string> { ["epoch"] = "2" });
            var f = SafeTensorFile.Read(path);
            Assert.Equal(a.StateDict().Keys, f.Names);
            Assert.Equal(SafeTensorDtype.I64, f.Dtype("1.num_batches_tracked"));
            Assert.Equal(SafeTensorDtype.F32, f.Dtype("1.running_mean"));
            Assert.Equal(new long[] { 17 }, f.GetInt64("1.num_batches_tracked"));
            Assert.Empty(f.GetShape("1.num_batches_tracked"));

            var b = Net(99);
            var meta = b.LoadSafetensors(path);
            Assert.Equal("2", meta["epoch"]);
            foreach (var (k, t) in a.StateDict()) Assert.Equal(t.ToArray(), b.StateDict()[k].ToArray());

            var loaded = SafeTensors.LoadStateDict(path);
            Assert.Equal(17f, loaded["1.num_batches_tracked"].Item());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void StrictLoadRejectsMissingAndUnexpectedKeysAndShapeMismatch()
    {
        var path = TempFile();
        try
        {
            new Sequential(new Linear(3, 4, gen: new Generator(1))).SaveSafetensors(path);
            var ex = Assert.Throws<InvalidDataException>(() => Net(2).LoadSafetensors(path));
            Assert.Contains("missing keys", ex.Message);
            Assert.Contains(path, ex.Message);

            // non-strict: the keys present are loaded, the rest kept
            var net = Net(2);
            var before = net.StateDict()["2.weight"].ToArray();
            net.LoadSafetensors(path, strict: false);
            Assert.Equal(SafeTensorFile.Read(path).GetTensor("0.weight").ToArray(), net.StateDict()["0.weight"].ToArray());
            Assert.Equal(before, net.StateDict()["2.weight"].ToArray());

            new Sequential(new Linear(3, 5, gen: new Generator(1))).SaveSafetensors(path);
            var shape = Assert.Throws<InvalidDataException>(() => new Sequential(new Linear(3, 4)).LoadSafetensors(path));
            Assert.Contains("0.weight", shape.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void PyTorchStateDictLoadsIntoNablaSequential()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "io", "safetensors_interop.safetensors");
        var f = SafeTensorFile.Read(path);
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(new long[] { 0, 1, -7, (1L << 31) + 5, 42, -(1L << 40) }, f.GetInt64("extra.steps"));
        Assert.Equal(new[] { 2, 3 }, f.GetShape("extra.steps"));

        // nn.Sequential(Linear(4, 8), ReLU(), Linear(8, 3)): the ReLU has no state, so keys are 0.* and 2.*
        var net = new Sequential(new Linear(4, 8), new Relu(), new Linear(8, 3));
        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }, f.Names.Take(4));
        Assert.Equal(net.StateDict().Keys, f.Names.Take(4));
        net.LoadSafetensors(path, strict: false);
        foreach (var (k, t) in net.StateDict()) Assert.Equal(f.GetTensor(k).ToArray(), t.ToArray());

        Tensor y;
        using (Tensor.NoGrad()) y = net.Forward(f.GetTensor("input.x"));
        var expected = f.GetTensor("output.y");
        Assert.Equal(expected.Shape, y.Shape);
        for (int i = 0; i < y.Size; i++) Assert.Equal(expected.Data[i], y.Data[i], 1e-5f);
    }
}
