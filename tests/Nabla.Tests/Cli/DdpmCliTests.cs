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
}
