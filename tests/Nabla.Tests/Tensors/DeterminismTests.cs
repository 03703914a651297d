using Nabla.Diffusion;
using Nabla.Kernels;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Tensors;

/// <summary>
/// The design's bit-for-bit promises, run on one thread and on two and compared bitwise: the counter-based
/// Generator (a range filled by two threads at their offsets equals one fill), threaded GEMMs, convolutions split
/// over workers with ∂W summed in fixed chunk slots, and a whole UNet training step with Adam.
/// "One thread" sets <see cref="WorkerPool.Threads"/> to 1; "two" to 2 (convolution batches are cut into the same fixed
/// number of slots either way, see <see cref="ParallelThresholds.BatchSlots"/>).
/// </summary>
[Collection("Console")]   // alone: no other test may run while the thread count is changed
public class DeterminismTests
{
    /// <summary>Runs <paramref name="f"/> with the worker pool at <paramref name="threads"/> threads (restored afterwards).</summary>
    static T OnThreads<T>(int threads, Func<T> f)
    {
        T result = default!;
        Nabla.Tests.Support.KernelSelection.WithThreads(threads, () => result = f());
        return result;
    }

    static T OnOneThread<T>(Func<T> f) => OnThreads(1, f);
    static T OnTwoThreads<T>(Func<T> f) => OnThreads(2, f);

    static void SameBits(float[] a, float[] b, string what)
    {
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]), $"{what}[{i}]: {a[i]:R} vs {b[i]:R}");
    }

    [Fact]
    public void GeneratorFillsEqualOnOneAndTwoThreads()
    {
        const int n = 1 << 16;
        var one = new float[n]; var normal = new float[n];
        var g = new Generator(11);
        g.FillUniform(one);
        g.FillNormal(normal);
        ulong end = g.Offset;

        // two threads, each filling half from its own offset (uniform: one draw per value; normal: two)
        var two = new float[n]; var normal2 = new float[n];
        var t = new Thread(() => new Generator(11, n / 2).FillUniform(two.AsSpan(n / 2)));
        t.Start();
        new Generator(11, 0).FillUniform(two.AsSpan(0, n / 2));
        t.Join();
        SameBits(one, two, "uniform");

        // the normal fill started at offset n (after the uniforms) and took the same number of draws per value throughout
        Assert.Equal(0UL, (end - (ulong)n) % n);
        ulong perValue = (end - (ulong)n) / n;
        var t2 = new Thread(() => new Generator(11, (ulong)n + perValue * (n / 2)).FillNormal(normal2.AsSpan(n / 2)));
        t2.Start();
        new Generator(11, n).FillNormal(normal2.AsSpan(0, n / 2));
        t2.Join();
        SameBits(normal, normal2, "normal");
    }

    static float[] ThreadedProducts()
    {
        var gen = new Generator(3);
        var a = Tensor.Randn(gen, 200, 160); var b = Tensor.Randn(gen, 160, 180);
        var c = (a % b).ToArray();
        var at = Tensor.Randn(gen, 160, 200);
        return c.Concat((at.T % b).ToArray()).ToArray();
    }

    [Fact]
    public void ThreadedGemmEqualsOneThread()
    {
        Assert.True(200L * 180 * 160 >= ParallelThresholds.GemmWork);
        SameBits(OnOneThread(ThreadedProducts), OnTwoThreads(ThreadedProducts), "C");
    }

    /// <summary>Conv2d and ConvTranspose2d forward and all gradients at 16 images and ≥ 2·10⁶ flops (split over workers, ∂W in slots).</summary>
    static float[] ConvolutionGradients()
    {
        var gen = new Generator(5);
        var result = new List<float>();
        foreach (var (transposed, stride) in new[] { (false, 1), (false, 2), (true, 2) })
        {
            var x = Tensor.Randn(gen, 16, 8, 24, 24).RequireGrad();
            var w = (transposed ? Tensor.Randn(gen, 8, 12, 4, 4) : Tensor.Randn(gen, 12, 8, 3, 3)).RequireGrad();
            var b = Tensor.Randn(gen, 12).RequireGrad();
            var y = transposed ? Functional.ConvTranspose2d(x, w, b, stride, 1) : Functional.Conv2d(x, w, b, stride, 1);
            (y * Tensor.Randn(gen, y.Shape)).Sum().Backward();
            result.AddRange(y.ToArray()); result.AddRange(x.Grad!.ToArray()); result.AddRange(w.Grad!.ToArray()); result.AddRange(b.Grad!.ToArray());
        }
        return result.ToArray();
    }

    [Fact]
    public void ConvolutionGradientsEqualOneThread() => SameBits(OnOneThread(ConvolutionGradients), OnTwoThreads(ConvolutionGradients), "conv");

    /// <summary>Two DDPM training steps of a small conditional UNet (batch 16): losses, then every weight after Adam.</summary>
    static float[] UNetSteps()
    {
        var cfg = new UNetConfig { BaseChannels = 16, ChannelMults = new[] { 1, 2 }, Groups = 8, TimeEmbedDim = 64, SinusoidalDim = 32, NumClasses = 3, ImageSize = 16, AttentionLevels = new[] { 2 } };
        var (x, y) = Nabla.Tests.Diffusion.DdpmTrainerTests.TinyData(32);
        var big = Functional.Interpolate(x, (16, 16), null, InterpolationMode.Nearest);
        var tr = new DdpmTrainer(cfg, new DdpmTrainingOptions { BatchSize = 16, DiffusionSteps = 100, Seed = 9 }, big, y);
        tr.Train(2);
        return tr.Losses.Concat(tr.Model.Parameters().SelectMany(p => p.ToArray())).ToArray();
    }

    [Fact]
    public void UNetTrainingStepsEqualOneThread() => SameBits(OnOneThread(UNetSteps), OnTwoThreads(UNetSteps), "unet");
}
