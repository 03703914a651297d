using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nabla.Cli.Viz;
using Nabla.Data;
using Nabla.Diffusion;
using Nabla.IO;
using Nabla.Models;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla ddpm train | sample | eval`: a class-conditional DDPM on Fashion-MNIST — training with EMA, checkpoints
/// and exact resume; sampling with DDIM or ancestral steps and classifier-free guidance; evaluation by a classifier.
/// </summary>
public static class DdpmCommand
{
    public const string CheckpointFile = CommonOptions.CheckpointFile;

    public static Command Create()
    {
        var ddpm = new Command("ddpm", "Denoising diffusion (DDPM) on Fashion-MNIST: train, sample, eval");
        ddpm.Subcommands.Add(CreateTrain());
        ddpm.Subcommands.Add(CreateSample());
        ddpm.Subcommands.Add(DdpmEvalCommand.Create());
        ddpm.Subcommands.Add(ExportCommands.Ddpm());
        return ddpm;
    }

    // ------------------------------------------------------------------ train
    static Command CreateTrain()
    {
        var cmd = new Command("train", "Train a DDPM on Fashion-MNIST; writes checkpoint, samples.png, trajectory.png, loss.png and config.json to runs/NAME");
        var steps = new Option<int>("--steps") { Description = "Cap on the total optimizer steps of the run (a resumed run continues up to this); 0 = none, the --minutes budget ends the run", DefaultValueFactory = _ => 0 };
        var minutes = new Option<double>("--minutes") { Description = "Training time budget of this invocation in minutes (0 = none); training stops, saves and draws the pictures when it runs out", DefaultValueFactory = _ => 10 };
        var batch = new Option<int>("--batch") { Description = "Images per step", DefaultValueFactory = _ => DdpmTrainingOptions.MainJob.BatchSize };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => DdpmTrainingOptions.MainJob.LearningRate };
        var lrDecay = new Option<float>("--lr-decay") { Description = "Share of the run (its --minutes budget or --steps cap) at its end over which the learning rate falls linearly to 0 (0 = constant)", DefaultValueFactory = _ => DdpmTrainingOptions.MainJob.LearningRateDecayFraction };
        var seed = CommonOptions.Seed("Seed of initialisation, batches, noise and sampling");
        var name = new Option<string>("--name") { Description = "Run name: output goes to runs/NAME", DefaultValueFactory = _ => "ddpm" };
        var outDir = CommonOptions.OutFolder("Output folder (overrides runs/NAME)");
        var resume = new Option<bool>("--resume") { Description = "Continue the run in the output folder from its checkpoint, exactly where it stopped" };
        var every = new Option<int>("--checkpoint-every") { Description = "Write the checkpoint every N steps (0 = only at the end)", DefaultValueFactory = _ => 200 };
        var conditional = new Option<bool>("--conditional") { Description = "Class-conditional with label dropout 0.1 and classifier-free guidance (default)" };
        var unconditional = new Option<bool>("--unconditional") { Description = "Ignore the labels" };
        var preset = new Option<string>("--preset") { Description = "Network size: " + string.Join("; ", DdpmPresets.Descriptions.Select(p => $"{p.Key} = {p.Value}")), DefaultValueFactory = _ => "small" };
        var schedule = new Option<string>("--schedule") { Description = "β schedule: linear (1e-4 → 0.02), cosine or sigmoid", DefaultValueFactory = _ => DdpmTrainingOptions.MainJob.Schedule.ToString().ToLowerInvariant() };
        var objective = new Option<string>("--objective") { Description = "What the network predicts: eps, x0 or v", DefaultValueFactory = _ => ObjectiveName(DdpmTrainingOptions.MainJob.Objective) };
        var minSnr = new Option<float>("--min-snr") { Description = "γ of min-SNR-γ loss weighting (0 = plain MSE)", DefaultValueFactory = _ => DdpmTrainingOptions.MainJob.MinSnrGamma };
        var zeroSnr = new Option<bool?>("--zero-snr") { Description = "Rescale the schedule to zero terminal SNR (needs --objective v or x0; default: on with those objectives, as the main job's recipe; --zero-snr false turns it off)" };
        var data = CommonOptions.DataFolder();
        var samplesN = new Option<int>("--samples-per-class") { Description = "Columns of samples.png (samples per class, or rows×columns/10 when unconditional)", DefaultValueFactory = _ => 8 };
        var guidance = new Option<float?>("--guidance") { Description = "Guidance scale w stored as the checkpoint's default and used for samples.png (ε̂ = (1+w)·ε(x,c) − w·ε(x,∅)); default: the main job's, " + FormattableString.Invariant($"w = {DdpmTrainingOptions.MainJob.DefaultGuidance} up to step {DdpmTrainingOptions.MainJob.GuidanceRampFromStep:N0}, then falling linearly to {DdpmTrainingOptions.MainJob.LateGuidance} at step {DdpmTrainingOptions.MainJob.LateGuidanceFromStep:N0}") };
        var interval = new Option<string>("--guidance-interval") { Description = "Where guidance applies, stored as the checkpoint's default: σ = √((1−ᾱ_t)/ᾱ_t) in (LOW, HIGH], or 'all'", DefaultValueFactory = _ => DdpmTrainingOptions.MainJob.DefaultGuidanceInterval.ToOptionText() };
        var distributed = DistributedRun.ModeOption();
        foreach (var o in new Option[] { steps, minutes, batch, lr, lrDecay, seed, name, outDir, resume, every, conditional, unconditional, preset, schedule, objective, minSnr, zeroSnr, data, samplesN, guidance, interval, distributed }) cmd.Options.Add(o);
        cmd.SetAction(r => DistributedRun.Guard("ddpm train", r.GetValue(distributed)!, Path.Combine(r.GetValue(outDir) ?? Path.Combine("runs", r.GetValue(name)!), CheckpointFile), dist =>
        {
            if (r.GetValue(conditional) && r.GetValue(unconditional)) throw new ArgumentException("--conditional and --unconditional exclude each other");
            var prediction = ParseObjective(r.GetValue(objective)!);
            return Train(dist, new TrainArgs(
                r.GetValue(steps), r.GetValue(minutes), r.GetValue(batch), r.GetValue(lr), r.GetValue(lrDecay), r.GetValue(seed),
                r.GetValue(outDir) ?? Path.Combine("runs", r.GetValue(name)!), r.GetValue(resume), r.GetValue(every),
                !r.GetValue(unconditional), r.GetValue(preset)!, r.GetValue(schedule)!, r.GetValue(data), r.GetValue(samplesN), r.GetValue(guidance),
                prediction, r.GetValue(minSnr),
                r.GetValue(zeroSnr) ?? (DdpmTrainingOptions.MainJob.ZeroTerminalSnr && prediction != Prediction.Epsilon),
                DdpmSamplingCli.ParseInterval(r.GetValue(interval)) ?? GuidanceInterval.Everywhere));
        }));
        return cmd;
    }

    sealed record TrainArgs(int Steps, double Minutes, int Batch, float Lr, float LrDecay, ulong Seed, string Out, bool Resume, int Every,
        bool Conditional, string Preset, string Schedule, string? Data, int SamplesPerClass, float? Guidance,
        Prediction Objective, float MinSnr, bool ZeroSnr, GuidanceInterval Interval);

    /// <summary>The plotted loss in words: the objective's MSE, min-SNR-γ weighted when γ &gt; 0.</summary>
    static string LossName(DdpmTrainingOptions o)
    {
        string target = o.Objective switch { Prediction.Epsilon => "ε", Prediction.X0 => "x₀", _ => "v" };
        return o.MinSnrGamma > 0 ? FormattableString.Invariant($"{target}-MSE, min-SNR-{o.MinSnrGamma:0.##} weighted") : $"{target}-MSE";
    }

    static BetaSchedule ParseSchedule(string s) => s.ToLowerInvariant() switch
    {
        "linear" => BetaSchedule.Linear,
        "cosine" => BetaSchedule.Cosine,
        "sigmoid" => BetaSchedule.Sigmoid,
        _ => throw new ArgumentException($"--schedule must be linear, cosine or sigmoid, got '{s}'"),
    };

    static string ObjectiveName(Prediction p) => p switch { Prediction.Epsilon => "eps", Prediction.X0 => "x0", _ => "v" };

    static Prediction ParseObjective(string s) => s.ToLowerInvariant() switch
    {
        "eps" or "epsilon" => Prediction.Epsilon,
        "x0" => Prediction.X0,
        "v" => Prediction.V,
        _ => throw new ArgumentException($"--objective must be eps, x0 or v, got '{s}'"),
    };

    /// <summary>Training images in [−1, 1] and labels.</summary>
    internal static (Tensor images, int[] labels, string source) LoadTrainingData(string? dir)
    {
        var d = FashionMnist.Load(dir);
        var src = d.Train.Inputs.Data;
        var x = new float[src.Length];
        for (int i = 0; i < x.Length; i++) x[i] = 2 * src[i] - 1;
        return (new Tensor(x, d.Train.Inputs.Shape), d.Train.Labels, $"{d.Source.Description}, {d.Train.Count:N0} training images");
    }

    static int Train(DistributedRun dist, TrainArgs a)
    {
        if (a.Steps < 0) throw new ArgumentException($"--steps must be ≥ 0 (0 = no cap), got {a.Steps}");
        if (!(a.Minutes >= 0)) throw new ArgumentException($"--minutes must be ≥ 0, got {a.Minutes}");
        if (a.Steps == 0 && a.Minutes == 0) throw new ArgumentException("--steps 0 and --minutes 0: the run would never end; give a step cap or a time budget");
        int cap = a.Steps > 0 ? a.Steps : int.MaxValue;
        if (a.Every < 0) throw new ArgumentException($"--checkpoint-every must be ≥ 0, got {a.Every}");
        if (a.SamplesPerClass < 1 || a.SamplesPerClass > 32) throw new ArgumentException($"--samples-per-class must be in 1..32, got {a.SamplesPerClass}");
        string ckPath = Path.Combine(a.Out, CheckpointFile);
        var (images, labels, source) = LoadTrainingData(a.Data);
        DdpmTrainer trainer;
        if (a.Resume)
        {
            if (dist.IsWriter && !File.Exists(ckPath)) throw new FileNotFoundException($"--resume: no checkpoint at {ckPath}");
            trainer = DdpmTrainer.Resume(ckPath, images, labels, dist.Parallel);
            Console.WriteLine($"resuming {ckPath} at step {trainer.Step:N0}");
        }
        else
        {
            if (dist.IsWriter && File.Exists(ckPath)) throw new IOException($"{ckPath} exists: pass --resume to continue it, or choose another --name/--out");
            var cfg = DdpmPresets.Get(a.Preset, a.Conditional ? 10 : 0);
            var opts = new DdpmTrainingOptions
            {
                BatchSize = a.Batch, LearningRate = a.Lr, LearningRateDecayFraction = a.LrDecay, Seed = a.Seed, Schedule = ParseSchedule(a.Schedule),
                Objective = a.Objective, MinSnrGamma = a.MinSnr, ZeroTerminalSnr = a.ZeroSnr,
                // no --guidance: the main job's schedule of scales over training; --guidance W: that scale throughout
                DefaultGuidance = a.Guidance ?? DdpmTrainingOptions.MainJob.DefaultGuidance,
            }.WithGuidanceInterval(a.Interval);
            if (a.Guidance == null)
                opts = opts with
                {
                    LateGuidance = DdpmTrainingOptions.MainJob.LateGuidance, GuidanceRampFromStep = DdpmTrainingOptions.MainJob.GuidanceRampFromStep,
                    LateGuidanceFromStep = DdpmTrainingOptions.MainJob.LateGuidanceFromStep,
                };
            trainer = new DdpmTrainer(cfg, opts, images, labels).UseDataParallel(dist.Parallel);
        }
        if (dist.IsWriter) Directory.CreateDirectory(a.Out);
        var cfgU = trainer.Model.Config;
        Console.WriteLine($"data: {source}");
        Console.WriteLine($"model: UNet {cfgU.BaseChannels}×[{string.Join(",", cfgU.ChannelMults)}], {trainer.Model.ParameterCount():N0} parameters, " +
            (trainer.Conditional ? $"class-conditional (label dropout {trainer.Options.LabelDropout})" : "unconditional") +
            $"; T = {trainer.Schedule.T}, {trainer.Options.Schedule} β{(trainer.Options.ZeroTerminalSnr ? " (zero terminal SNR)" : "")}, {trainer.Options.Objective} objective{(trainer.Options.MinSnrGamma > 0 ? $", min-SNR γ = {trainer.Options.MinSnrGamma}" : "")}; Adam lr {trainer.Options.LearningRate}{(trainer.Options.LearningRateDecayFraction > 0 ? $" (linear decay to 0 over the last {trainer.Options.LearningRateDecayFraction:P0} of the run)" : "")}, {dist.DescribeBatch(trainer.Options.BatchSize)}");
        Console.WriteLine($"output: {Path.GetFullPath(a.Out)}  " + (dist.WorldSize == 1 ? "(Ctrl-C saves and stops)" : "(Ctrl-C stops every rank; the last checkpoint is kept)"));

        var run = new TrainingRun();   // Ctrl-C: the first press saves and stops, a second ends the process
        var sw = Stopwatch.StartNew();
        DdpmTrainingResult result;
        try
        {
            int startStep = trainer.Step;
            if (startStep >= cap)
            {
                Console.WriteLine($"the checkpoint is already at step {startStep:N0} ≥ --steps {a.Steps:N0}; only the pictures are redrawn");
                result = new DdpmTrainingResult(DdpmTrainingStatus.Completed, startStep, "nothing to train", false);
            }
            else
            {
                // Without a step cap the display's total is the budget's estimate after a few steps: rate × time left.
                TimeSpan? budget = a.Minutes > 0 ? TimeSpan.FromMinutes(a.Minutes) : null;
                TrainingProgress? progress = null;
                try
                {
                    result = trainer.Train(cap, budget, ckPath, a.Every, run.Token, p =>
                    {
                        if (progress == null && (a.Steps > 0 || p.Step - startStep >= 5))
                        {
                            // no cap: the total shown is a generous guess (twice the rate × time left), so the budget, not the guess,
                            // ends the bar — its percentage and ETA follow the time budget (ProgressEstimate)
                            long total = a.Steps > 0 ? a.Steps
                                : Math.Max(p.Step + 1, p.Step + (long)(2 * p.StepsPerSecond * Math.Max(0, (budget!.Value - p.Elapsed).TotalSeconds)));
                            progress = TrainingProgress.Start("ddpm train", total, new ProgressOptions
                            {
                                ItemsPerStep = trainer.GlobalBatchSize, StartStep = a.Steps > 0 ? startStep : p.Step - 1, Resumed = a.Steps > 0,  // (the resume itself is said above)
                                TimeBudget = budget is { } b ? b - p.Elapsed : null,   // the budget left when the bar starts: it ends the run first
                            }, run.Token);
                        }
                        progress?.Report(p.Step, p.Loss);
                    });
                }
                finally { progress?.Dispose(); }
            }
        }
        finally { run.Dispose(); }
        double trainSeconds = sw.Elapsed.TotalSeconds;
        int exitCode = result.Status == DdpmTrainingStatus.Diverged ? 1 : result.Status == DdpmTrainingStatus.Cancelled ? 130 : 0;
        if (!dist.IsWriter) return exitCode;   // rank 0 alone reports, plots and samples
        Console.WriteLine(result.Status switch
        {
            DdpmTrainingStatus.Diverged => $"stopped: {result.Message}",
            _ => $"{result.Message}; checkpoint {(result.CheckpointWritten ? "written to" : "at")} {ckPath}",
        });

        if (trainer.Losses.Count > 0)
            Plots.Loss(Path.Combine(a.Out, "loss.png"), trainer.Losses.ToList(), new LossPlotOptions { Title = $"DDPM training loss ({LossName(trainer.Options)}), {trainer.Losses.Count:N0} steps", LogY = true });
        var sampling = new DiffusionSamplingOptions { Guidance = a.Guidance };
        bool drawn = false;
        if (result.Status is DdpmTrainingStatus.Completed or DdpmTrainingStatus.TimeBudgetReached && trainer.Step > 0)
        {
            var pipe = DiffusionPipeline.ForTrained(trainer.EmaModel, trainer.Options, trainer.Step);
            Console.WriteLine($"sampling with the EMA weights: {sampling.Describe(trainer.Conditional, pipe.DefaultGuidance, pipe.DefaultGuidanceInterval)} …");
            var gen = new Generator(trainer.Options.Seed ^ 0x5A5A_0000UL, 0);
            WriteSampleGrid(pipe, sampling, a.SamplesPerClass, gen, Path.Combine(a.Out, "samples.png"), $"step {trainer.Step:N0}");
            WriteTrajectory(pipe, sampling, gen, Path.Combine(a.Out, "trajectory.png"));
            drawn = true;
        }
        else if (result.Status == DdpmTrainingStatus.Cancelled)
            Console.WriteLine($"pictures skipped; draw them with: nabla ddpm sample --checkpoint {ckPath} --out {Path.Combine(a.Out, "samples.png")}");
        WriteConfigJson(Path.Combine(a.Out, "config.json"), trainer, result, source, sampling, trainSeconds, drawn);
        Console.WriteLine($"wrote {string.Join(", ", new[] { "checkpoint.safetensors", "config.json", "loss.png", drawn ? "samples.png" : null, drawn ? "trajectory.png" : null }.Where(s => s != null && File.Exists(Path.Combine(a.Out, s))))} in {a.Out}");
        return exitCode;
    }

    static void WriteConfigJson(string path, DdpmTrainer tr, DdpmTrainingResult result, string source, DiffusionSamplingOptions sampling, double seconds, bool drawn)
    {
        var o = new JsonObject
        {
            ["unet"] = JsonNode.Parse(tr.Model.Config.ToJson()),
            ["training"] = JsonNode.Parse(tr.Options.ToJson()),
            ["parameters"] = tr.Model.ParameterCount(),
            ["data"] = source,
            ["step"] = tr.Step,
            ["status"] = result.Status.ToString(),
            ["message"] = result.Message,
            ["last_loss"] = tr.Losses.Count > 0 ? tr.Losses[^1] : null,
            ["seconds_this_run"] = Math.Round(seconds, 1),
            ["samples"] = drawn ? new JsonObject { ["sampler"] = DdpmSamplingCli.Name(sampling.Sampler), ["steps"] = sampling.Steps, ["spacing"] = sampling.Spacing.ToString().ToLowerInvariant(), ["eta"] = sampling.Eta, ["guidance"] = sampling.Guidance ?? tr.Options.GuidanceAt(tr.Step), ["clip"] = sampling.ClipX0, ["weights"] = "ema" } : null,
        };
        AtomicFile.WriteAllText(path, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>samples.png: one row per class (labelled) when conditional, else a square grid.</summary>
    internal static void WriteSampleGrid(DiffusionPipeline pipe, DiffusionSamplingOptions sampling, int perClass, Generator gen, string path, string title, CancellationToken ct = default)
    {
        bool conditional = pipe.NumClasses > 0;
        var labels = conditional ? Enumerable.Range(0, pipe.NumClasses).SelectMany(c => Enumerable.Repeat(c, perClass)).ToArray() : null;
        int n = labels?.Length ?? perClass * 10;
        var x = pipe.Sample(n, labels, sampling, gen, ct);
        ImageGrid.Save(path, x, new GridOptions
        {
            Columns = conditional ? perClass : 10, Range = PixelRange.MinusOneToOne,
            RowLabels = conditional ? Enumerable.Range(0, pipe.NumClasses).Select(DdpmClasses.Name).ToList() : null,
            Title = $"DDPM samples, {title} ({sampling.Describe(conditional, pipe.DefaultGuidance, pipe.DefaultGuidanceInterval)})",
        });
    }

    /// <summary>trajectory.png: x_t of a few samples at several t (rows = samples, columns = t, last column x_0).</summary>
    internal static void WriteTrajectory(DiffusionPipeline pipe, DiffusionSamplingOptions sampling, Generator gen, string path)
    {
        int[]? labels = pipe.NumClasses > 0 ? new[] { 0, 1, 3, 5, 7, 9 }.Where(c => c < pipe.NumClasses).ToArray() : null;
        int n = labels?.Length ?? 6;
        int calls = sampling.Steps;
        var wanted = new SortedSet<int>(new[] { 0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.96 }.Select(f => (int)Math.Round(f * (calls - 1))));
        var tr = pipe.SampleTrajectory(n, labels, sampling with { BatchSize = n }, gen, wanted);
        var snaps = tr.Snapshots.Append(tr.Samples).ToList();
        var ts = tr.Timesteps.Append(0).ToList();
        ImageGrid.SaveTrajectory(path, snaps, ts, new GridOptions
        {
            Range = PixelRange.MinusOneToOne, Scale = 3,
            RowLabels = labels?.Select(DdpmClasses.Name).ToList(),
            Title = "x_T → x_0 (last column: the sample)",
        });
    }

    // ------------------------------------------------------------------ sample
    static Command CreateSample()
    {
        var cmd = new Command("sample", "Draw samples from a DDPM checkpoint: a .png grid or a .safetensors file (samples N×1×28×28 in [−1, 1], labels)");
        var ck = CommonOptions.Checkpoint("nabla ddpm train");
        var cls = new Option<string?>("--class") { Description = "Class to draw (name such as sneaker, or index 0–9); default: every class in turn" };
        var n = new Option<int>("--n") { Description = "Number of samples", DefaultValueFactory = _ => 16 };
        var raw = new Option<bool>("--raw-weights") { Description = "Use the trained weights instead of their EMA" };
        var seed = CommonOptions.Seed("Seed of the noise");
        var output = CommonOptions.OutFile("samples.png (grid) or samples.safetensors (raw values)", "samples.png");
        foreach (var o in new Option[] { ck, cls, n, raw, seed, output }) cmd.Options.Add(o);
        var sampling = new DdpmSamplingCli().AddTo(cmd);
        cmd.SetAction(r => TrainingRun.Guard("ddpm sample", () =>
        {
            using var run = new TrainingRun();
            return Sample(r.GetValue(ck)!, r.GetValue(cls), r.GetValue(n), sampling.Parse(r), !r.GetValue(raw), r.GetValue(seed), r.GetValue(output)!, run.Token);
        }));
        return cmd;
    }

    static int Sample(string ckPath, string? cls, int n, DiffusionSamplingOptions o, bool ema, ulong seed, string outPath, CancellationToken ct)
    {
        if (n < 1 || n > 100_000) throw new ArgumentException($"--n must be in 1..100000, got {n}");
        string ext = Path.GetExtension(outPath).ToLowerInvariant();
        if (ext is not (".png" or ".safetensors")) throw new ArgumentException($"--out must end in .png or .safetensors, got '{outPath}'");
        var ck = DdpmCheckpoint.Read(ckPath);
        var pipe = DiffusionPipeline.FromCheckpoint(ck, ema);
        o.Validate(pipe.Schedule.T);
        int numClasses = pipe.NumClasses;
        bool conditional = numClasses > 0;
        int[]? labels = null;
        if (conditional)
        {
            if (cls != null) { int c = DdpmClasses.Parse(cls, numClasses); labels = Enumerable.Repeat(c, n).ToArray(); }
            else labels = Enumerable.Range(0, n).Select(i => i * numClasses / n).ToArray();
        }
        else if (cls != null) throw new ArgumentException("--class: this checkpoint is unconditional (trained with --unconditional)");
        string describe = o.Describe(conditional, pipe.DefaultGuidance, pipe.DefaultGuidanceInterval);
        Console.WriteLine($"{ckPath}: step {ck.Step:N0}, {(ema ? "EMA" : "raw")} weights, {ck.Options.Objective} objective; {n} samples, {describe}" +
            (labels != null && cls != null ? $", class {DdpmClasses.Name(labels[0])}" : ""));
        var sw = Stopwatch.StartNew();
        var x = SamplingProgress.Run("sampling", pipe.ModelCalls(n, o), tick => pipe.Sample(n, labels, o, new Generator(seed), ct, _ => tick()));
        if (ext == ".png")
        {
            int cols = labels != null && cls == null && n % numClasses == 0 ? n / numClasses : 0;
            ImageGrid.Save(outPath, x, new GridOptions
            {
                Columns = cols, Range = PixelRange.MinusOneToOne,
                RowLabels = cols > 0 ? Enumerable.Range(0, numClasses).Select(DdpmClasses.Name).ToList() : null,
                CellLabels = cols == 0 && labels != null && cls == null ? labels.Select(DdpmClasses.Name).ToList() : null,
                Title = cls != null && labels != null ? $"{DdpmClasses.Name(labels[0])} — {describe}" : describe,
            });
        }
        else
        {
            var w = new SafeTensorWriter().Add("samples", x);
            w.AddInt64("labels", labels != null ? labels.Select(v => (long)v).ToArray() : Enumerable.Repeat(-1L, n).ToArray(), n);
            w.AddMetadata("checkpoint", Path.GetFullPath(ckPath)).AddMetadata("step", ck.Step.ToString(CultureInfo.InvariantCulture))
             .AddMetadata("sampling", describe).AddMetadata("seed", seed.ToString(CultureInfo.InvariantCulture))
             .AddMetadata("range", "[-1, 1]").AddMetadata("labels", conditional ? "class index" : "-1 (unconditional)");
            w.Save(outPath);
        }
        Console.WriteLine($"wrote {outPath} in {sw.Elapsed.TotalSeconds:0.0} s");
        return 0;
    }
}
