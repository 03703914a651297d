namespace Nabla.NN;

/// <summary>
/// Shared body of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (PyTorch's _BatchNorm): per-channel
/// y = (x − μ_c)/√(σ²_c + ε)·γ_c + β_c with batch statistics while training and running statistics in evaluation.
/// Buffers <c>running_mean</c> (0), <c>running_var</c> (1), <c>num_batches_tracked</c> (integer) as PyTorch.
/// </summary>
public abstract class BatchNormBase : NormBase
{
    // Momentum null = cumulative average (1/num_batches_tracked).
    protected BatchNormBase(int numFeatures, float eps, float? momentum, bool affine, bool trackRunningStats)
        : base(numFeatures, eps, momentum, affine, trackRunningStats) { }

    /// <summary>Throws unless x has an accepted rank and <see cref="NumFeatures"/> channels in dimension 1.</summary>
    protected abstract void CheckInput(Tensor x);

    /// <summary>Running statistics back to mean 0, variance 1, zero batches tracked.</summary>
    public void ResetRunningStats()
    {
        if (!TrackRunningStats) return;
        RunningMean!.Data.Fill(0); RunningVar!.Data.Fill(1); NumBatchesTracked!.Data[0] = 0;
    }

    public override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        float factor = Momentum ?? 0f;
        if (Training && TrackRunningStats)
        {
            NumBatchesTracked!.Data[0] += 1;
            if (Momentum == null) factor = 1f / NumBatchesTracked.Data[0];
        }
        bool useBatch = Training || !TrackRunningStats;
        return Functional.BatchNorm(x, useBatch && !Training ? null : RunningMean, useBatch && !Training ? null : RunningVar,
            Weight, Bias, useBatch, factor, Eps);
    }

    /// <summary>PyTorch's extra_repr.</summary>
    public override string ToString() => $"{GetType().Name}({NumFeatures}, eps={Eps}, momentum={(Momentum?.ToString() ?? "None")}, affine={Affine}, track_running_stats={TrackRunningStats})";
}

/// <summary>Batch normalization over [N, C] or [N, C, L] inputs (statistics per channel over N and L).</summary>
public sealed class BatchNorm1d : BatchNormBase
{
    public BatchNorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats) { }

    protected override void CheckInput(Tensor x)
    {
        if (x.Rank != 2 && x.Rank != 3) throw new ArgumentException($"BatchNorm1d: expected 2-D or 3-D input [N, C(, L)], got {ShapeMath.Format(x.Shape)}");
        if (x.Dim(1) != NumFeatures) throw new ArgumentException($"BatchNorm1d({NumFeatures}): input of shape {ShapeMath.Format(x.Shape)} has {x.Dim(1)} channels");
    }
}

/// <summary>Batch normalization over [N, C, H, W] inputs (statistics per channel over N, H, W).</summary>
public sealed class BatchNorm2d : BatchNormBase
{
    public BatchNorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats) { }

    protected override void CheckInput(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"BatchNorm2d: expected 4-D input [N, C, H, W], got {ShapeMath.Format(x.Shape)}");
        if (x.Dim(1) != NumFeatures) throw new ArgumentException($"BatchNorm2d({NumFeatures}): input of shape {ShapeMath.Format(x.Shape)} has {x.Dim(1)} channels");
    }
}
