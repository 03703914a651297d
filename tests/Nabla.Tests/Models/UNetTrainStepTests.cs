using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Models;

/// <summary>
/// One training step of the `ddpm` workload's UNet against PyTorch (tests/fixtures/gen/unet_train_step.py): the
/// reference weights, batch 16, loss = mean((ε̂ − ε)²), every parameter's gradient, and every parameter after one
/// Adam step, each matched to 1e-4 relative. At batch 16 the step crosses every threshold of the convolution code:
/// batches of ≥ 2·10⁶ flops split over workers (the 32-channel 28×28 layers; ImageBatch.ParallelThreshold), per-image
/// products of m·n·k ≥ 96³ run as threaded GEMMs one image after another (the 64-channel 14×14 layers: 64·576·196;
/// Gemm.ParallelWork), chunks limited by the 2¹⁸-float chunk size (576·196 floats per image there: two images a
/// chunk; ConvBatched), ∂W summed in chunk slots, and the stride-1 implicit-GEMM and strided im2col paths.
/// </summary>
public class UNetTrainStepTests
{
    static void Near(Tensor expected, Tensor actual, string what, double tol = 1e-4)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.Data; var a = actual.Data;
        double scale = 0;
        for (int i = 0; i < e.Length; i++) scale = Math.Max(scale, Math.Abs(e[i]));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * Math.Max(scale, 1e-30), $"{what}[{i}]: {a[i]:g7} vs PyTorch {e[i]:g7} (tensor max {scale:g3})");
    }

    [Fact]
    public void OneTrainingStepOfTheReferenceUNetMatchesPyTorch()
    {
        var weights = UNetTests.ReadFixture("ddpm_unet.safetensors").Where(p => !p.Key.Contains("put.")).ToDictionary(p => p.Key, p => p.Value);
        Check(UNet.DdpmWorkloadConfig(), weights, UNetTests.ReadFixture("unet_train_step.safetensors"));
    }

    /// <summary>
    /// Class-conditional, two residual blocks per level, self-attention at level 2 and in the middle (2 heads), nearest
    /// upsampling, labels including "no label" (tests/fixtures/gen/unet_cond_train_step.py mirrors this network).
    /// </summary>
    [Fact]
    public void OneTrainingStepOfAConditionalUNetWithAttentionAndNearestUpsamplingMatchesPyTorch()
    {
        var cfg = new UNetConfig
        {
            BaseChannels = 16, ChannelMults = new[] { 1, 2 }, ResBlocksPerLevel = 2, Groups = 8, SinusoidalDim = 32, TimeEmbedDim = 64,
            AttentionLevels = new[] { 2 }, MidAttention = true, AttentionHeads = 2, NumClasses = 10, Upsample = UpsampleMode.NearestConv,
        };
        var fx = UNetTests.ReadFixture("unet_cond_train_step.safetensors");
        var weights = fx.Where(p => !(p.Key.StartsWith("input.") || p.Key.StartsWith("output.") || p.Key.StartsWith("grad.") || p.Key.StartsWith("after.")))
            .ToDictionary(p => p.Key, p => p.Value);
        Check(cfg, weights, fx);
    }

    static void Check(UNetConfig cfg, Dictionary<string, Tensor> weights, Dictionary<string, Tensor> fx)
    {
        var m = new UNet(cfg, new Generator(5));
        Assert.Equal(weights.Keys.OrderBy(k => k), m.StateDict().Keys.OrderBy(k => k));
        var initial = weights.ToDictionary(p => p.Key, p => p.Value.ToArray());   // a copy: loading may share the arrays
        m.LoadStateDict(weights, strict: true);
        m.Train();
        m.ZeroGrad();
        var loss = Functional.MseLoss(m.Forward(fx["input.x"], fx["input.t"], fx.GetValueOrDefault("input.labels")), fx["input.eps"]);
        Assert.True(Math.Abs(loss.Item() - fx["output.loss"].Data[0]) <= 1e-4 * Math.Abs(fx["output.loss"].Data[0]), $"loss {loss.Item()} vs {fx["output.loss"].Data[0]}");
        loss.Backward();
        var opt = new Adam(m.Parameters(), lr: 2e-4);
        var named = m.NamedParameters().ToList();
        Assert.Equal(fx.Keys.Count(k => k.StartsWith("grad.")), named.Count);
        foreach (var (name, p) in named) Near(fx["grad." + name], p.Grad!, "∂" + name);
        opt.Step();
        // The first Adam step moves each weight by lr·g/(|g| + 1e-8): ±lr once |g| ≫ 1e-8, but for a gradient within
        // the 1e-4 (of its tensor's largest) that the gradients were matched to, the size of the move is not determined
        // by that match: those weights need only move by at most lr. Every other weight matches PyTorch to 1e-4 relative.
        foreach (var (name, p) in named)
        {
            var gRef = fx["grad." + name].Data; var after = fx["after." + name].Data; var before = initial[name]; var got = p.Data;
            float gMax = 0, wMax = 0;
            for (int i = 0; i < gRef.Length; i++) { gMax = Math.Max(gMax, Math.Abs(gRef[i])); wMax = Math.Max(wMax, Math.Abs(after[i])); }
            for (int i = 0; i < got.Length; i++)
            {
                if (Math.Abs(gRef[i]) >= 1e-4f * gMax)
                    Assert.True(Math.Abs(got[i] - after[i]) <= 1e-4 * wMax, $"{name}[{i}] after Adam: {got[i]:g7} vs PyTorch {after[i]:g7} (∂ {gRef[i]:g3})");
                else
                    Assert.True(Math.Abs(got[i] - before[i]) <= 1.0001 * 2e-4, $"{name}[{i}] moved by {got[i] - before[i]:g3}, more than lr");
            }
        }
    }
}
