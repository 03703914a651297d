using Nabla.Cli;

namespace Nabla.Tests.Cli;

/// <summary>Tests that swap Console.Out / Console.Error: never in parallel with each other or with other tests.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection { }

/// <summary>
/// The CLI's one error contract, per command: usage or input errors exit 2 with `nabla COMMAND: message` naming the
/// option or file; runtime failures exit 1 with the same prefix; a cancellation exits 130.
/// </summary>
[Collection("Console")]
public class CliErrorsTests
{
    static (int Code, string Err) Run(params string[] args)
    {
        var err = new StringWriter();
        var oldOut = Console.Out; var oldErr = Console.Error;
        Console.SetOut(TextWriter.Null); Console.SetError(err);
        try { return (CliApp.Run(args, err), err.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    static readonly string Missing = Path.Combine(Path.GetTempPath(), "nabla-no-such-file-" + Guid.NewGuid().ToString("N"));

    public static IEnumerable<object[]> UsageErrors() => new[]
    {
        // command words, then what the message must name
        new object[] { "example backprop", new[] { "--lr", "-1" }, "--lr" },
        new object[] { "example backprop", new[] { "--bogus" }, "--bogus" },
        new object[] { "ddpm train", new[] { "--steps", "0" }, "--steps" },
        new object[] { "ddpm train", new[] { "--steps", "ten" }, "ten" },
        new object[] { "ddpm sample", new[] { "--checkpoint", Missing + ".safetensors" }, Missing },
        new object[] { "ddpm sample", Array.Empty<string>(), "--checkpoint" },
        new object[] { "ddpm eval", new[] { "--checkpoint", Missing + ".safetensors" }, Missing },
        new object[] { "mlp train", new[] { "--epochs", "0" }, "--epochs" },
        new object[] { "mlp eval", new[] { "--checkpoint", Missing }, Missing },
        new object[] { "ae train", new[] { "--latent", "0" }, "--latent" },
        new object[] { "vae train", new[] { "--arch", "rnn" }, "--arch" },
        new object[] { "vae sample", new[] { "--checkpoint", Missing, "--n", "0" }, "--n" },
        new object[] { "vae sample", new[] { "--checkpoint", Missing }, Missing },
        new object[] { "vae interpolate", new[] { "--checkpoint", Missing, "--steps", "1" }, "--steps" },
        new object[] { "gmm fit", new[] { Missing + ".csv" }, Missing },
        new object[] { "gmm fit", new[] { "--covariance", "round" }, "round" },
        new object[] { "ar fit", new[] { Missing + ".csv" }, Missing },
        new object[] { "ar fit", new[] { "--column", "nope" }, "nope" },
        new object[] { "ar forecast", new[] { "--order", "x" }, "x" },
    };

    [Theory, MemberData(nameof(UsageErrors))]
    public void UsageAndInputErrorsExit2NamingTheCulprit(string command, string[] args, string named)
    {
        var (code, err) = Run(command.Split(' ').Concat(args).ToArray());
        Assert.True(code == CliErrors.Usage, $"exit {code}: {err}");
        Assert.StartsWith($"nabla {command}: ", err);
        Assert.Contains(named, err);
    }

    [Fact]
    public void AGmmFitWithTooManyComponentsNamesTheOptionsValue()
    {
        var (code, err) = Run("gmm", "fit", "--k", "0");
        Assert.Equal(CliErrors.Usage, code);
        Assert.StartsWith("nabla gmm fit: ", err);
        Assert.DoesNotContain("(Parameter", err);
    }

    [Fact]
    public void RuntimeFailuresExit1AndCancellationExits130()
    {
        Assert.Equal(CliErrors.Failure, CliErrors.Classify(new IOException("No space left on device")).Code);
        Assert.Equal(CliErrors.Failure, CliErrors.Classify(new InvalidOperationException("boom")).Code);
        Assert.Contains("boom", CliErrors.Classify(new InvalidOperationException("boom")).Message);
        Assert.Equal(CliErrors.Usage, CliErrors.Classify(new FileNotFoundException("f")).Code);
        Assert.Equal(CliErrors.Usage, CliErrors.Classify(new InvalidDataException("f")).Code);
        Assert.Equal(CliErrors.Usage, CliErrors.Classify(new Nabla.IO.SafeTensorsFormatException("f", null, "bad")).Code);   // an IOException, but bad input
        Assert.Equal(CliErrors.Interrupted, CliErrors.Classify(new OperationCanceledException()).Code);

        var err = new StringWriter();
        Assert.Equal(CliErrors.Failure, CliErrors.Run("ddpm train", () => throw new IOException("writing 'x': No space left on device"), err));
        Assert.Equal("nabla ddpm train: writing 'x': No space left on device", err.ToString().Trim());
        Assert.Equal(CliErrors.Interrupted, CliErrors.Run("nabla mlp train", () => throw new OperationCanceledException(), TextWriter.Null));
        Assert.Equal(7, CliErrors.Run("x", () => 7, TextWriter.Null));
    }

    [Fact]
    public void AFailingOutputWriteIsARuntimeFailure()
    {
        if (!File.Exists("/dev/full")) return;   // Linux: every write to /dev/full fails with ENOSPC
        var (code, err) = Run("ar", "forecast", "--order", "2", "--steps", "3", "--out", "/dev/full");
        Assert.True(code == CliErrors.Failure, $"exit {code}: {err}");
        Assert.StartsWith("nabla ar forecast: ", err);
    }
}
