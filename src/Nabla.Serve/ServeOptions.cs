using Nabla.Diffusion;

namespace Nabla.Serve;

/// <summary>
/// Draws a grid of <c>n</c> grayscale images (values in [−1, 1], <c>n·h·w</c> row-major) as PNG bytes. The server
/// has no drawing code of its own: the host passes one (the `nabla` command passes its ImageGrid).
/// </summary>
public delegate byte[] GridPngEncoder(float[] pixels, int n, int h, int w);

/// <summary>How a <see cref="SamplingServer"/> listens, batches and limits requests.</summary>
public sealed record ServeOptions
{
    /// <summary>Loopback port of the Kestrel listener (0 picks a free one); null listens nowhere (a test host).</summary>
    public int? Port { get; init; } = 8080;
    /// <summary>Batch width and queue of the sampling loop.</summary>
    public ContinuousBatchOptions Batching { get; init; } = new();
    /// <summary>Most samples one request may ask for (also capped by the batch width).</summary>
    public int MaxSamples { get; init; } = 64;
    /// <summary>Largest request body accepted, in bytes.</summary>
    public int MaxBodyBytes { get; init; } = 16 * 1024;
    /// <summary>How long in-flight requests may run after a shutdown signal before they are answered 503.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The largest guidance scale accepted.</summary>
    public float MaxGuidance { get; init; } = 20f;
    /// <summary>PNG grids for <c>Accept: image/png</c>; null answers 406 to such requests.</summary>
    public GridPngEncoder? GridPng { get; init; }

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"ServeOptions.Port must be in 0..65535, got {Port}", nameof(Port));
        Batching.Validate();
        if (MaxSamples < 1) throw new ArgumentException($"ServeOptions.MaxSamples must be ≥ 1, got {MaxSamples}", nameof(MaxSamples));
        if (MaxBodyBytes < 64) throw new ArgumentException($"ServeOptions.MaxBodyBytes must be ≥ 64, got {MaxBodyBytes}", nameof(MaxBodyBytes));
        if (ShutdownGrace < TimeSpan.Zero) throw new ArgumentException($"ServeOptions.ShutdownGrace must be ≥ 0, got {ShutdownGrace}", nameof(ShutdownGrace));
        if (!(MaxGuidance >= 0) || float.IsInfinity(MaxGuidance)) throw new ArgumentException($"ServeOptions.MaxGuidance must be finite and ≥ 0, got {MaxGuidance}", nameof(MaxGuidance));
    }
}
