using Spectre.Console;
using Nabla.Diffusion;
using Nabla.Models;

namespace Nabla.Cli.Commands;

/// <summary>How the DDPM commands draw samples.</summary>
public sealed record DdpmSamplingOptions
{
    /// <summary>"ddim" (default, <see cref="Steps"/> model calls) or "ddpm" (ancestral, T calls).</summary>
    public string Sampler { get; init; } = "ddim";
    /// <summary>DDIM steps.</summary>
    public int Steps { get; init; } = 50;
    /// <summary>DDIM η.</summary>
    public float Eta { get; init; }
    /// <summary>Classifier-free guidance scale w (conditional models only).</summary>
    public float Guidance { get; init; } = 2f;
    /// <summary>Clip x̂_0 to [−1, 1].</summary>
    public bool Clip { get; init; } = true;
    /// <summary>Images per model call batch (memory bound).</summary>
    public int BatchSize { get; init; } = 100;

    public void Validate(int T)
    {
        if (Sampler is not ("ddim" or "ddpm")) throw new ArgumentException($"--sampler must be ddim or ddpm, got '{Sampler}'");
        if (Sampler == "ddim" && (Steps < 1 || Steps > T)) throw new ArgumentException($"--steps must be in 1..{T} for DDIM, got {Steps}");
        if (!(Eta >= 0 && Eta <= 1)) throw new ArgumentException($"--eta must be in [0, 1], got {Eta}");
        if (!(Guidance >= 0) || float.IsInfinity(Guidance)) throw new ArgumentException($"--guidance must be ≥ 0, got {Guidance}");
        if (BatchSize < 1) throw new ArgumentException($"sampling batch must be ≥ 1, got {BatchSize}");
    }

    public string Describe(bool conditional) =>
        (Sampler == "ddim" ? $"DDIM {Steps} steps, η = {Eta}" : "ancestral (DDPM), σ² = β̃_t") +
        (Clip ? ", x̂₀ clipped" : "") + (conditional ? $", guidance w = {Guidance}" : "");
}

/// <summary>Sampling from a trained UNet in batches, with progress and optional trajectory snapshots.</summary>
public static class DdpmSampling
{
    /// <summary>
    /// Draws <paramref name="labels"/>.Length (conditional) or <paramref name="n"/> (unconditional) samples in [−1, 1]
    /// (clamped), shape [n, C, S, S]. <paramref name="onStep"/> sees every step of every batch (batch index, step).
    /// </summary>
    public static Tensor Generate(UNet model, NoiseSchedule schedule, DdpmSamplingOptions o, int n, int[]? labels, Generator gen,
        CancellationToken ct = default, Action<int, SamplingStep>? onStep = null)
    {
        o.Validate(schedule.T);
        var cfg = model.Config;
        if (labels != null) n = labels.Length;
        bool conditional = cfg.NumClasses > 0;
        NoisePredictor eps = model.AsNoisePredictor();
        if (conditional && o.Guidance > 0) eps = ClassifierFreeGuidance.Wrap(eps, cfg.NullLabel, o.Guidance);
        var outData = new float[n * cfg.InChannels * cfg.ImageSize * cfg.ImageSize];
        int per = cfg.InChannels * cfg.ImageSize * cfg.ImageSize;
        for (int start = 0, batch = 0; start < n; start += o.BatchSize, batch++)
        {
            int b = Math.Min(o.BatchSize, n - start);
            Tensor? lab = null;
            if (conditional)
            {
                var l = new float[b];
                for (int i = 0; i < b; i++) l[i] = labels != null ? labels[start + i] : cfg.NullLabel;
                lab = new Tensor(l, b);
            }
            int[] shape = { b, cfg.InChannels, cfg.ImageSize, cfg.ImageSize };
            int bi = batch;
            Action<SamplingStep>? cb = onStep == null ? null : s => onStep(bi, s);
            var x = o.Sampler == "ddim"
                ? new DdimSampler(schedule, o.Steps, o.Eta, o.Clip).Sample(eps, shape, lab, gen, ct, cb)
                : new AncestralSampler(schedule, clipX0: o.Clip).Sample(eps, shape, lab, gen, ct, cb);
            var src = x.Data;
            for (int i = 0; i < src.Length; i++) outData[start * per + i] = Math.Clamp(src[i], -1f, 1f);
        }
        return new Tensor(outData, n, cfg.InChannels, cfg.ImageSize, cfg.ImageSize);
    }

    /// <summary>Number of model calls per batch.</summary>
    public static int CallsPerBatch(NoiseSchedule schedule, DdpmSamplingOptions o) => o.Sampler == "ddim" ? o.Steps : schedule.T;
}

/// <summary>A Spectre.Console bar over model calls while sampling (nothing when the output is redirected).</summary>
public static class SamplingProgress
{
    /// <summary>Runs <paramref name="body"/>, giving it a callback to call once per model call.</summary>
    public static T Run<T>(string title, int calls, Func<Action, T> body)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive) return body(() => { });
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new ProgressColumn[]
            {
                new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(),
            })
            .Start(ctx =>
            {
                var task = ctx.AddTask(title, maxValue: calls);
                result = body(() => task.Increment(1));
            });
        return result;
    }
}
