using System.Reflection;
using Nabla.Models;

namespace Nabla.Tests.Architecture;

/// <summary>The layering and the layout of the sources, checked on the real assemblies and files.</summary>
public class ArchitectureTests
{
    static bool IsNabla(Assembly a) => a.GetName().Name is { } n && (n == "Nabla" || n.StartsWith("Nabla.", StringComparison.Ordinal));

    static readonly Assembly Core = typeof(Tensor).Assembly;
    static readonly Assembly Cli = typeof(Nabla.Cli.Viz.TrainingProgress).Assembly;

    static IReadOnlyCollection<TypeReference> ScanResolved(Assembly a)
    {
        var refs = ReferenceScanner.Scan(a, IsNabla, out var unresolved);
        Assert.True(unresolved.Count == 0, "unresolved tokens:\n" + string.Join("\n", unresolved));
        return refs;
    }

    static string List(IReadOnlyList<string> items) => $"{items.Count}:\n  " + string.Join("\n  ", items);

    [Fact]
    public void CoreTypesUseOnlyLowerLayers()
    {
        var violations = LayerRules.Violations(ScanResolved(Core).Where(r => !CompilerEmitted(r)));
        Assert.True(violations.Count == 0, "references from a lower layer to a higher one " + List(violations));
    }

    [Fact]
    public void CliTypesUseOnlyLayeredNamespaces()
    {
        var violations = LayerRules.Violations(ScanResolved(Cli).Where(r => !CompilerEmitted(r)));
        Assert.True(violations.Count == 0, "layering violations in Nabla.Cli " + List(violations));
    }

    [Fact]
    public void ServerTypesUseOnlyLowerLayers()
    {
        var serve = typeof(Nabla.Serve.SamplingServer).Assembly;
        Assert.DoesNotContain(serve.GetReferencedAssemblies(), a => a.Name is "Nabla.Cli" or "Nabla.Distributed");
        var violations = LayerRules.Violations(ScanResolved(serve).Where(r => !CompilerEmitted(r) && !IsEmittedIn(serve, r)));
        Assert.True(violations.Count == 0, "layering violations in Nabla.Serve " + List(violations));
    }

    static bool IsEmittedIn(Assembly a, TypeReference r) =>
        new[] { r.From, r.To }.Any(n => a.GetType(n) is { } t && ReferenceScanner.IsCompilerEmitted(t) && LayerRules.Of(t.Namespace ?? "") is null);

    /// <summary>Types the compiler puts at an assembly's top level (&lt;PrivateImplementationDetails&gt;, embedded attributes) have no layer and are ignored.</summary>
    static bool CompilerEmitted(TypeReference r) => IsEmitted(r.From) || IsEmitted(r.To) || IsEntryPoint(r.From) || IsEntryPoint(r.To);

    /// <summary>The CLI's top-level-statements class: compiler-made, but with the ASP.NET Core framework reference (which
    /// Nabla.Serve brings) a source generator declares it public and partial, so it no longer looks compiler-emitted.</summary>
    static bool IsEntryPoint(string fullName) => Cli.EntryPoint?.DeclaringType?.FullName == fullName && !fullName.Contains('.');

    static bool IsEmitted(string fullName)
    {
        var t = Core.GetType(fullName) ?? Cli.GetType(fullName);
        return t is not null && ReferenceScanner.IsCompilerEmitted(t) && LayerRules.Of(t.Namespace ?? "") is null;
    }

    [Fact]
    public void TheCoreReferencesNoOtherAssemblyOfNabla()
    {
        // The core depends on the base library and System.Numerics.Tensors only; the CLI, Nabla.Distributed and any
        // other Nabla assembly sit above it.
        var refs = Core.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(refs, n => n.StartsWith("Nabla", StringComparison.Ordinal));
        Assert.All(refs, n => Assert.True(n.StartsWith("System", StringComparison.Ordinal) || n is "netstandard" or "mscorlib" or "Microsoft.Win32.Primitives",
            $"the core library references {n}"));
    }

    [Fact]
    public void TheScannerSeesReferencesThatOnlyMethodBodiesMake()
    {
        var refs = ScanResolved(Core);
        // Classifier.TrainStep calls Functional.CrossEntropy: a static call, in IL only.
        Assert.Contains(refs, r => r.From == "Nabla.Models.Classifier" && r.To == "Nabla.NN.Functional");
        // EpochTrainer.ForVae's lambdas live in a compiler-generated closure class; they count as EpochTrainer's.
        Assert.Contains(refs, r => r.From == typeof(EpochTrainer).FullName && r.To == "Nabla.Models.VariationalAutoencoder");
        Assert.Contains(refs, r => r.From == typeof(EpochTrainer).FullName && r.To == "Nabla.Optim.Adam");
        Assert.DoesNotContain(refs, r => r.From.Contains('+') || r.To.Contains('+'));   // nested types map to their owner
    }

    [Fact]
    public void TheCheckerCatchesEachKindOfViolation()
    {
        static TypeReference R(string from, string to) =>
            new(from, from[..from.LastIndexOf('.')], to, to[..to.LastIndexOf('.')]);
        var allowed = new[]
        {
            R("Nabla.Tensor", "Nabla.Kernels.Gemm"),
            R("Nabla.Diffusion.DdpmTrainer", "Nabla.Models.UNet"),
            R("Nabla.Data.FashionMnist", "Nabla.IO.AtomicFile"),           // siblings of layer 3 may use each other
            R("Nabla.IO.Onnx.Exporter", "Nabla.IO.SafeTensors"),          // a sub-namespace is part of its component
            R("Nabla.Distributed.ProcessGroup", "Nabla.Diffusion.DdpmTrainer"),
            R("Nabla.Cli.Commands.DdpmCommand", "Nabla.Distributed.ProcessGroup"),
            R("Nabla.Serve.ServedModel", "Nabla.Diffusion.DiffusionPipeline"),
            R("Nabla.Cli.Commands.ServeCommand", "Nabla.Serve.SamplingServer"),
        };
        Assert.Empty(LayerRules.Violations(allowed));

        var forbidden = new[]
        {
            R("Nabla.Kernels.Gemm", "Nabla.Tensor"),
            R("Nabla.Models.UNet", "Nabla.Diffusion.NoisePredictor"),
            R("Nabla.Probabilistic.GaussianMixture", "Nabla.TimeSeries.AutoRegression"),
            R("Nabla.NN.Module", "Nabla.IO.SafeTensors"),
            R("Nabla.Models.Classifier", "Nabla.Distributed.ProcessGroup"),
            R("Nabla.Tensor", "Nabla.Cli.Viz.Plots"),
            R("Nabla.Diffusion.ContinuousBatchSampler", "Nabla.Serve.SamplingServer"),
            R("Nabla.Models.Foo", "Nabla.Experimental.Bar"),              // a namespace with no layer
        };
        var found = LayerRules.Violations(forbidden);
        Assert.Equal(forbidden.Length, found.Count);
        Assert.Contains(found, v => v.StartsWith("Nabla.Models.UNet → Nabla.Diffusion.NoisePredictor (Nabla.Models, layer 4, uses the higher Nabla.Diffusion, layer 5)"));
        Assert.Contains(found, v => v.Contains("siblings of layer 5"));
        Assert.Contains(found, v => v.Contains("'Nabla.Experimental' has no layer"));
    }

    [Fact]
    public void LibraryMessagesNameNoCommandLineFlag()
    {
        // "--lr", "--data DIR" belong to the CLI; the library names its own parameters and options instead.
        var flag = new System.Text.RegularExpressions.Regex(@"(^|[\s(""'`])--[a-z][a-z-]*");
        var bad = ReferenceScanner.StringLiterals(Core).Where(s => flag.IsMatch(s.Literal)).Select(s => $"{s.Type}: \"{s.Literal}\"").Distinct().ToList();
        Assert.True(bad.Count == 0, "library strings that name a CLI flag " + List(bad));
        Assert.Matches(flag, "try a lower --lr");                            // the pattern catches what it is for…
        Assert.DoesNotMatch(flag, "x--y, a −−b, 1e--3");                     // …and not dashes inside words or numbers
    }

    // ---- layout ----

    static IEnumerable<(string Path, string Text)> Sources()
    {
        string src = Path.Combine(LayoutRules.RepositoryRoot(), "src");
        var files = LayoutRules.SourceFiles(src).ToList();
        Assert.True(files.Count > 100, $"only {files.Count} source files under {src}");
        return files.Select(f => (f, File.ReadAllText(Path.Combine(src, f))));
    }

    [Fact]
    public void EachFilesNamespaceMatchesItsFolder()
    {
        var bad = LayoutRules.NamespaceMismatches(Sources().Select(s => (s.Path, LayoutRules.DeclaredNamespace(s.Text))));
        Assert.True(bad.Count == 0, "files whose namespace is not their folder's " + List(bad));
    }

    [Fact]
    public void NoSourceFileIsLongerThan400Lines()
    {
        var bad = LayoutRules.LongFiles(Sources().Select(s => (s.Path, s.Text.Split('\n').Length - (s.Text.EndsWith('\n') ? 1 : 0))));
        Assert.True(bad.Count == 0, $"files over {LayoutRules.MaxLines} lines " + List(bad));
    }

    [Fact]
    public void TheLayoutCheckersCatchViolations()
    {
        Assert.Equal(["Nabla"], LayoutRules.AllowedNamespaces("Nabla/Tensors/Tensor.cs"));
        Assert.Equal(["Nabla.NN", "Nabla.NN.Layers"], LayoutRules.AllowedNamespaces("Nabla/NN/Layers/Linear.cs"));
        Assert.Equal(["Nabla.Cli"], LayoutRules.AllowedNamespaces("Nabla.Cli/Program.cs"));
        var files = new (string, string?)[]
        {
            ("Nabla/Tensors/Tensor.cs", "Nabla"),
            ("Nabla/NN/Layers/Linear.cs", "Nabla.NN"),
            ("Nabla/IO/Onnx/Exporter.cs", "Nabla.IO.Onnx"),
            ("Nabla.Cli/Program.cs", null),
            ("Nabla/Models/UNet.cs", "Nabla.Diffusion"),                     // wrong folder
            ("Nabla.Cli/Plots/ProbPlots.cs", "Nabla.Cli.Viz"),               // wrong folder
            ("Nabla/Kernels/Gemm.cs", null),                                 // no namespace
        };
        var bad = LayoutRules.NamespaceMismatches(files);
        Assert.Equal(3, bad.Count);
        Assert.StartsWith("Nabla/Models/UNet.cs: declares Nabla.Diffusion, expected Nabla.Models", bad[0]);
        Assert.Equal(["GaussianMixture.cs: 667 lines"], LayoutRules.LongFiles([("GaussianMixture.cs", 667), ("Tensor.cs", 400), ("Gemm.cs", 12)]));
    }
}
