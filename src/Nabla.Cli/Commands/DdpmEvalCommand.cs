using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Nabla.Cli.Viz;
using Nabla.Data;
using Nabla.Diffusion;
using Nabla.IO;
using Nabla.Models;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla ddpm eval`: scores a DDPM checkpoint with a Fashion-MNIST classifier trained by Nabla (cached after the first
/// run): the share of conditional samples classified as the requested class, and the Fréchet distance between sample
/// and test-image features, beside a floor (training images vs test) and a ceiling (noise vs test) of the same size.
/// </summary>
public static class DdpmEvalCommand
{
    /// <summary>Default cache of the classifier: $XDG_CACHE_HOME/nabla or ~/.cache/nabla.</summary>
    public static string DefaultClassifierPath
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root)) root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "nabla", "fashion-mnist-classifier.safetensors");
        }
    }

    public static Command Create()
    {
        var cmd = new Command("eval", "Score a DDPM checkpoint: classifier accuracy on conditional samples and Fréchet distance in the classifier's feature space");
        var ck = CommonOptions.Checkpoint("nabla ddpm train");
        var n = new Option<int>("--n") { Description = "Number of samples (spread evenly over the classes)", DefaultValueFactory = _ => 500 };
        var seed = CommonOptions.Seed("Seed of the samples and the reference subsets");
        var classifier = new Option<string?>("--classifier") { Description = $"Classifier cache (default {DefaultClassifierPath}); trained when missing" };
        var epochs = new Option<int>("--classifier-epochs") { Description = "Epochs when the classifier has to be trained", DefaultValueFactory = _ => 2 };
        var data = CommonOptions.DataFolder();
        var nll = new Option<bool>("--nll") { Description = "Instead of sampling: the variational bound −log p(x) ≤ L_vlb in bits/dim on the 8-bit test images" };
        var nllImages = new Option<int>("--nll-images") { Description = "Test images in the bound (the first N)", DefaultValueFactory = _ => 200 };
        var nllT = new Option<int>("--nll-timesteps") { Description = "Random timesteps per image K (unbiased estimate ± standard error); 0 = the exact sum over all T", DefaultValueFactory = _ => 50 };
        var nllCond = new Option<bool>("--nll-conditional") { Description = "Bound log p(x | class) with the true labels instead of log p(x) (the unconditional mode)" };
        foreach (var o in new Option[] { ck, n, seed, classifier, epochs, data, nll, nllImages, nllT, nllCond }) cmd.Options.Add(o);
        var sampling = new DdpmSamplingCli().AddTo(cmd);
        cmd.SetAction(r => TrainingRun.Guard("ddpm eval", () =>
        {
            using var run = new TrainingRun();
            if (r.GetValue(nll))
                return Bound(r.GetValue(ck)!, r.GetValue(nllImages), r.GetValue(nllT), r.GetValue(nllCond), !r.GetValue(sampling.NoClip), r.GetValue(seed), r.GetValue(data), run.Token);
            return Run(r.GetValue(ck)!, r.GetValue(n), sampling.Parse(r),
                r.GetValue(seed), r.GetValue(classifier) ?? DefaultClassifierPath, r.GetValue(epochs), r.GetValue(data), run.Token);
        }));
        return cmd;
    }

    static int Bound(string ckPath, int images, int k, bool conditional, bool clip, ulong seed, string? dataDir, CancellationToken ct)
    {
        if (images < 1) throw new ArgumentException($"--nll-images must be ≥ 1, got {images}");
        if (k < 0 || k == 1) throw new ArgumentException($"--nll-timesteps must be 0 (exact) or ≥ 2, got {k}");
        var ck = DdpmCheckpoint.Read(ckPath);
        var pipe = DiffusionPipeline.FromCheckpoint(ck, ema: true);
        if (conditional && pipe.NumClasses == 0) throw new ArgumentException("--nll-conditional: this checkpoint is unconditional");
        var test = FashionMnist.Load(dataDir).Test;
        images = Math.Min(images, test.Count);
        var x0 = DiscretizedGaussian.FromUnitInterval(Rows(test.Inputs.Reshape(test.Count, 1, 28, 28), Enumerable.Range(0, images).ToArray()));
        int[]? labels = conditional ? test.Labels.Take(images).ToArray() : null;
        var vb = new VariationalBound(pipe, clipX0: clip);
        string what = $"{images} test images, {(conditional ? "log p(x | class)" : pipe.NumClasses > 0 ? "log p(x) (no label)" : "log p(x)")}, EMA weights, x̂₀ {(clip ? "clipped" : "not clipped")}, σ² = β̃";
        Console.WriteLine($"variational bound of {ckPath} (step {ck.Step:N0}, {ck.Options.Objective} objective): {what} …");
        var gen = new Generator(seed ^ 0xB0DEUL);
        int rows = k == 0 ? images * pipe.Schedule.T : images * k;
        var sw = Stopwatch.StartNew();
        int calls = (rows + vb.BatchSize - 1) / vb.BatchSize;
        SamplingProgress.Run("bound", calls, tick =>
        {
            if (k == 0)
            {
                var terms = vb.Exact(x0, labels, gen, ct, (_, _) => tick());
                double bpd = terms.Average(t => t.BitsPerDim);
                double prior = terms.Average(t => DiscretizedGaussian.BitsPerDim(t.Prior, t.Dims));
                double dec = terms.Average(t => DiscretizedGaussian.BitsPerDim(t.Terms[0], t.Dims));
                Console.WriteLine($"bits/dim (exact sum over T = {pipe.Schedule.T}): {bpd:F4}   (prior {prior:F5}, decoder L₀ {dec:F4}, Σ L_t {bpd - prior - dec:F4})");
            }
            else
            {
                var e = vb.Estimate(x0, labels, k, gen, ct, (_, _) => tick());
                Console.WriteLine($"bits/dim ({k} random t per image): {e.BitsPerDim:F4} ± {e.StandardError:F4} (standard error)");
            }
            return 0;
        });
        Console.WriteLine($"took {sw.Elapsed.TotalSeconds:0.0} s");
        return 0;
    }

    static Tensor ToMinusOneOne(Tensor x01)
    {
        var s = x01.Data; var d = new float[s.Length];
        for (int i = 0; i < d.Length; i++) d[i] = 2 * s[i] - 1;
        return new Tensor(d, x01.Shape);
    }

    static Tensor Rows(Tensor x, int[] idx)
    {
        int per = x.Size / x.Dim(0);
        var d = new float[idx.Length * per];
        for (int i = 0; i < idx.Length; i++) x.Data.Slice(idx[i] * per, per).CopyTo(d.AsSpan(i * per));
        var shape = x.Shape; shape[0] = idx.Length;
        return new Tensor(d, shape);
    }

    /// <summary>Loads the cached classifier or trains and caches one.</summary>
    internal static FashionClassifier LoadOrTrainClassifier(string path, TrainTestData data, int epochs, CancellationToken ct)
    {
        var model = new FashionClassifier(10, new Generator(0));
        if (File.Exists(path))
        {
            var meta = model.LoadSafetensors(path);
            Console.WriteLine($"classifier: {path}" + (meta.TryGetValue("test_accuracy", out var acc) ? $" (test accuracy {acc})" : ""));
            return model;
        }
        if (epochs < 1) throw new ArgumentException($"--classifier-epochs must be ≥ 1, got {epochs}");
        Console.WriteLine($"classifier: none at {path}; training one ({epochs} epochs over {data.Train.Count:N0} images, cached for later runs) …");
        var x = ToMinusOneOne(data.Train.Inputs);
        int perEpoch = (data.Train.Count + 127) / 128;
        FashionClassifier trained;
        using (var progress = TrainingProgress.Start("classifier", epochs * perEpoch, new ProgressOptions { ItemsPerStep = 128 }, ct))
            trained = FashionClassifier.Train(x, data.Train.Labels, epochs, new Generator(0x0C1A55), ct, (s, _, l) => progress.Report(s, l));
        var (_, pred) = trained.Evaluate(ToMinusOneOne(data.Test.Inputs));
        double accuracy = pred.Zip(data.Test.Labels).Count(p => p.First == p.Second) / (double)pred.Length;
        trained.SaveSafetensors(path, new Dictionary<string, string>
        {
            ["model"] = "Nabla FashionClassifier", ["test_accuracy"] = accuracy.ToString("0.0000", CultureInfo.InvariantCulture),
            ["data"] = data.Source.Description, ["epochs"] = epochs.ToString(CultureInfo.InvariantCulture), ["input_range"] = "[-1, 1]",
        });
        Console.WriteLine($"classifier: test accuracy {accuracy:P1}; saved to {path}");
        return trained;
    }

    static int Run(string ckPath, int n, DiffusionSamplingOptions sampling, ulong seed, string classifierPath, int epochs, string? dataDir, CancellationToken ct)
    {
        if (n < 20 || n > 50_000) throw new ArgumentException($"--n must be in 20..50000, got {n}");
        var ck = DdpmCheckpoint.Read(ckPath);
        var pipe = DiffusionPipeline.FromCheckpoint(ck, ema: true);
        sampling.Validate(pipe.Schedule.T);
        int numClasses = pipe.NumClasses;
        var data = FashionMnist.Load(dataDir);
        var classifier = LoadOrTrainClassifier(classifierPath, data, epochs, ct);
        var test = ToMinusOneOne(data.Test.Inputs);
        var (testFeatures, testPred) = classifier.Evaluate(test);
        double testAcc = testPred.Zip(data.Test.Labels).Count(p => p.First == p.Second) / (double)testPred.Length;

        bool conditional = numClasses > 0;
        int[]? labels = conditional ? Enumerable.Range(0, n).Select(i => i % numClasses).ToArray() : null;
        Console.WriteLine($"sampling {n} images from {ckPath} (step {ck.Step:N0}, EMA weights, {ck.Options.Objective} objective): {sampling.Describe(conditional, pipe.DefaultGuidance, pipe.DefaultGuidanceInterval)} …");
        var sw = Stopwatch.StartNew();
        var gen = new Generator(seed);
        var samples = SamplingProgress.Run("sampling", pipe.ModelCalls(n, sampling), tick => pipe.Sample(n, labels, sampling, gen, ct, _ => tick()));
        double sampleSeconds = sw.Elapsed.TotalSeconds;
        var (sampleFeatures, samplePred) = classifier.Evaluate(samples);

        var refGen = new Generator(seed ^ 0xF1D0UL);
        var trainIdx = refGen.Permutation(data.Train.Count).Take(n).ToArray();
        var (trainFeatures, _) = classifier.Evaluate(Rows(ToMinusOneOne(data.Train.Inputs), trainIdx));
        var noise = Tensor.Randn(refGen, n, 1, 28, 28).Clamp(-1f, 1f);
        var (noiseFeatures, _) = classifier.Evaluate(noise);

        double fdModel = FrechetDistance.Compute(sampleFeatures, testFeatures);
        double fdFloor = FrechetDistance.Compute(trainFeatures, testFeatures);
        double fdCeiling = FrechetDistance.Compute(noiseFeatures, testFeatures);

        Console.WriteLine();
        Console.WriteLine($"classifier test accuracy (real test images): {testAcc:P1}");
        if (conditional)
        {
            double acc = samplePred.Zip(labels!).Count(p => p.First == p.Second) / (double)n;
            Console.WriteLine($"samples classified as the requested class:  {acc:P1}   (chance 10%, real test images {testAcc:P1})");
            var perClass = Enumerable.Range(0, numClasses).Select(c =>
            {
                var idx = Enumerable.Range(0, n).Where(i => labels![i] == c).ToList();
                return $"{DdpmClasses.Name(c)} {idx.Count(i => samplePred[i] == c) / (double)idx.Count:P0}";
            });
            Console.WriteLine($"  per class: {string.Join(", ", perClass)}");
        }
        else
        {
            var hist = Enumerable.Range(0, 10).Select(c => $"{DdpmClasses.Name(c)} {samplePred.Count(p => p == c) / (double)n:P0}");
            Console.WriteLine($"predicted classes of the samples: {string.Join(", ", hist)}");
        }
        Console.WriteLine($"Fréchet distance to the {testFeatures.Dim(0):N0} test images (classifier features, {FashionClassifier.FeatureDim}-d, {n} images each):");
        Console.WriteLine($"  floor   (training images)  {fdFloor,10:F3}");
        Console.WriteLine($"  model   (DDPM samples)     {fdModel,10:F3}");
        Console.WriteLine($"  ceiling (Gaussian noise)   {fdCeiling,10:F3}");
        Console.WriteLine($"sampling took {sampleSeconds:0.0} s");
        return 0;
    }
}
