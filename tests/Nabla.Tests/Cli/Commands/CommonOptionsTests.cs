using System.CommandLine;
using Nabla.Cli.Commands;

namespace Nabla.Tests.Cli.Commands;

public class CommonOptionsTests
{
    static Option Find(Command c, string name) => c.Options.Single(o => o.Name == name);

    [Fact]
    public void TrainingCommandsShareTheSeedDataAndOutDefinitions()
    {
        var train = new[] { MlpCommand.Create(), AeCommand.Create(), VaeCommand.Create() }.Select(c => c.Subcommands.Single(s => s.Name == "train")).ToList();
        foreach (var t in train)
        {
            Assert.Equal(CommonOptions.DataHelp, Find(t, "--data").Description);
            var seed = Assert.IsType<Option<ulong>>(Find(t, "--seed"));
            Assert.Equal(0UL, t.Parse([]).GetValue(seed));
            Assert.Equal(17UL, t.Parse(["--seed", "17"]).GetValue(seed));
            var outDir = Assert.IsType<Option<string?>>(Find(t, "--out"));
            Assert.Null(t.Parse([]).GetValue(outDir));
        }
    }

    [Fact]
    public void CheckpointOptionIsRequiredAndNamesTheFileAndItsWriter()
    {
        var o = CommonOptions.Checkpoint("nabla vae train");
        Assert.True(o.Required);
        Assert.Equal("checkpoint.safetensors written by `nabla vae train`", o.Description);
        var eval = MlpCommand.Create().Subcommands.Single(s => s.Name == "eval");
        Assert.NotEmpty(eval.Parse([]).Errors);                                          // --checkpoint missing
        var interpolate = VaeCommand.Create().Subcommands.Single(s => s.Name == "interpolate");
        var outFile = Assert.IsType<Option<string>>(Find(interpolate, "--out"));
        Assert.Equal("interp.png", interpolate.Parse(["--checkpoint", "c"]).GetValue(outFile));      // OutFile's default
    }

    [Theory]
    [InlineData("mlp", "--epochs", "0")]
    [InlineData("ae", "--batch", "0")]
    [InlineData("vae", "--lr", "-1")]
    public void BadTrainingOptionsExitWith2BeforeAnyWork(string command, string option, string value)
    {
        var c = command switch { "mlp" => MlpCommand.Create(), "ae" => AeCommand.Create(), _ => VaeCommand.Create() };
        string dir = Path.Combine(Path.GetTempPath(), $"nabla-opt-{Guid.NewGuid():N}");
        Assert.Equal(2, c.Parse(["train", option, value, "--out", dir]).Invoke());
        Assert.False(Directory.Exists(dir));                                           // rejected before the output folder is made
    }
}
