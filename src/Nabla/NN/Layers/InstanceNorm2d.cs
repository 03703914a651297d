namespace Nabla.NN;

/// <summary>
/// Instance normalization of [N, C, H, W] (or unbatched [C, H, W]) inputs: each (sample, channel) plane is normalized by
/// its own mean and biased variance. As PyTorch, affine and track_running_stats are off by default; with running
/// statistics on, evaluation mode normalizes by them instead.
/// </summary>
public sealed class InstanceNorm2d : NormBase
{
    // Momentum null counts as 0, as PyTorch's instance norm; num_batches_tracked is registered but never advanced (as PyTorch).
    public InstanceNorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = false, bool trackRunningStats = false)
        : base(numFeatures, eps, momentum, affine, trackRunningStats) { }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank == 3) return Forward(x.Unsqueeze(0)).Squeeze(0);
        if (x.Rank != 4) throw new ArgumentException($"InstanceNorm2d: expected 3-D or 4-D input [(N,) C, H, W], got {ShapeMath.Format(x.Shape)}");
        if (x.Dim(1) != NumFeatures) throw new ArgumentException($"InstanceNorm2d({NumFeatures}): input of shape {ShapeMath.Format(x.Shape)} has {x.Dim(1)} channels");
        return Functional.InstanceNorm(x, RunningMean, RunningVar, Weight, Bias, Training || !TrackRunningStats, Momentum ?? 0f, Eps);
    }
}
