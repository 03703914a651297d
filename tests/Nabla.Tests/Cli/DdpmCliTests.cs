using Nabla.Cli.Commands;
using Nabla.Diffusion;
using Nabla.Models;
using Nabla.Tests.Diffusion;

namespace Nabla.Tests.Cli;

public class DdpmCliTests
{
    [Theory]
    [InlineData("sneaker", 7)]
    [InlineData("Sneaker", 7)]
    [InlineData("7", 7)]
    [InlineData("ankle boot", 9)]
    [InlineData("Ankle-Boot", 9)]
    [InlineData("t-shirt", 0)]
    [InlineData("T-shirt/top", 0)]
    [InlineData("shirt", 6)]
    [InlineData("pull", 2)]
    [InlineData("trousers", 1)]
    [InlineData("bag", 8)]
    public void ClassNamesAndIndicesParse(string text, int expected) => Assert.Equal(expected, DdpmClasses.Parse(text));

    [Theory]
    [InlineData("10")]
    [InlineData("-1")]
    [InlineData("s")]      // ambiguous prefix: sandal, shirt, sneaker
    [InlineData("hat")]
    [InlineData("")]
    public void BadClassesAreRejectedWithTheList(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => DdpmClasses.Parse(text));
        Assert.Contains("--class", e.Message);
    }

    [Fact]
    public void PresetsAreValidAndSmallIsTheWorkloadNetwork()
    {
        foreach (var name in DdpmPresets.Descriptions.Keys) DdpmPresets.Get(name, 10).Validate();
        Assert.Equal(628_385, new UNet(DdpmPresets.Get("small", 0), new Generator(0)).ParameterCount());
        Assert.Throws<ArgumentException>(() => DdpmPresets.Get("huge", 10));
    }

    [Fact]
    public void SamplingHelperDrawsLabelledSamplesInRange()
    {
        var cfg = DdpmTrainerTests.TinyConfig() with { };
        var model = new UNet(cfg, new Generator(1));
        var schedule = NoiseSchedule.Linear(100);
        int steps = 0;
        var x = DdpmSampling.Generate(model, schedule, new DdpmSamplingOptions { Steps = 5, BatchSize = 2 }, 0, new[] { 0, 1, 2 }, new Generator(2), default, (b, s) => steps++);
        Assert.Equal(new[] { 3, 1, 8, 8 }, x.Shape);
        Assert.Equal(10, steps);   // two batches (2 + 1) × 5 steps
        Assert.All(x.ToArray(), v => Assert.InRange(v, -1f, 1f));
        Assert.Throws<ArgumentException>(() => DdpmSampling.Generate(model, schedule, new DdpmSamplingOptions { Sampler = "euler" }, 1, null, new Generator(0)));
        Assert.Throws<ArgumentException>(() => DdpmSampling.Generate(model, schedule, new DdpmSamplingOptions { Steps = 101 }, 1, null, new Generator(0)));
    }
}
