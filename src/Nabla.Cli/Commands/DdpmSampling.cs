using System.CommandLine;
using Spectre.Console;
using Nabla.Diffusion;

namespace Nabla.Cli.Commands;

/// <summary>The DDPM commands' sampling options (--sampler, --steps, --spacing, --eta, --guidance, --guidance-interval, --no-clip), parsed into <see cref="DiffusionSamplingOptions"/>.</summary>
public sealed class DdpmSamplingCli
{
    public Option<string> Sampler { get; } = new("--sampler") { Description = "ddim, dpm++ (DPM-Solver++(2M)), euler, or ddpm (ancestral; with --steps T it is Ho et al.'s sampler)", DefaultValueFactory = _ => "dpm++" };
    public Option<int> Steps { get; } = new("--steps") { Description = "Model calls per sample", DefaultValueFactory = _ => DiffusionSamplingOptions.DefaultSteps };
    public Option<string> Spacing { get; } = new("--spacing") { Description = "Timesteps visited: trailing (starts at T−1), leading, or linspace", DefaultValueFactory = _ => "trailing" };
    public Option<float> Eta { get; } = new("--eta") { Description = "DDIM η (0 = deterministic)", DefaultValueFactory = _ => 0f };
    public Option<float?> Guidance { get; } = new("--guidance") { Description = "Classifier-free guidance scale w (0 = none; default: the checkpoint's)" };
    public Option<string?> GuidanceInterval { get; } = new("--guidance-interval") { Description = "Guide only where the noise level σ = √((1−ᾱ_t)/ᾱ_t) is in (LOW, HIGH], e.g. 0.3,5 ('all' = every step; default: the checkpoint's)" };
    public Option<bool> NoClip { get; } = new("--no-clip") { Description = "Do not clip x̂_0 to [−1, 1]" };

    /// <summary>Adds the options to <paramref name="cmd"/>; <paramref name="withEta"/>/<paramref name="withClip"/> choose the optional ones.</summary>
    public DdpmSamplingCli AddTo(Command cmd, bool withEta = true, bool withClip = true)
    {
        cmd.Options.Add(Sampler); cmd.Options.Add(Steps); cmd.Options.Add(Spacing);
        if (withEta) cmd.Options.Add(Eta);
        cmd.Options.Add(Guidance); cmd.Options.Add(GuidanceInterval);
        if (withClip) cmd.Options.Add(NoClip);
        return this;
    }

    public DiffusionSamplingOptions Parse(ParseResult r) => new()
    {
        Sampler = ParseSampler(r.GetValue(Sampler)!), Steps = r.GetValue(Steps), Spacing = ParseSpacing(r.GetValue(Spacing)!),
        Eta = r.GetValue(Eta), Guidance = r.GetValue(Guidance), ClipX0 = !r.GetValue(NoClip),
        GuidanceInterval = ParseInterval(r.GetValue(GuidanceInterval)),
    };

    /// <summary>--guidance-interval LOW,HIGH (null when not given).</summary>
    public static GuidanceInterval? ParseInterval(string? s)
    {
        if (s == null) return null;
        try { return Diffusion.GuidanceInterval.Parse(s); }
        catch (FormatException e) { throw new ArgumentException($"--guidance-interval: {e.Message}"); }
    }

    public static SamplerKind ParseSampler(string s) => s.ToLowerInvariant() switch
    {
        "ddim" => SamplerKind.Ddim,
        "ddpm" or "ancestral" => SamplerKind.Ancestral,
        "dpm++" or "dpmpp" or "dpm++2m" or "dpmpp2m" or "dpm-solver++" => SamplerKind.DpmSolverPP2M,
        "euler" => SamplerKind.Euler,
        _ => throw new ArgumentException($"--sampler must be ddim, dpm++, euler or ddpm, got '{s}'"),
    };

    public static TimestepSpacing ParseSpacing(string s) => s.ToLowerInvariant() switch
    {
        "trailing" => TimestepSpacing.Trailing,
        "leading" => TimestepSpacing.Leading,
        "linspace" => TimestepSpacing.Linspace,
        _ => throw new ArgumentException($"--spacing must be trailing, leading or linspace, got '{s}'"),
    };

    /// <summary>The CLI's name of a sampler (for config.json).</summary>
    public static string Name(SamplerKind k) => k switch
    {
        SamplerKind.Ancestral => "ddpm", SamplerKind.DpmSolverPP2M => "dpm++", _ => k.ToString().ToLowerInvariant(),
    };
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
