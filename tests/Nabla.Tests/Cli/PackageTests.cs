using System.Globalization;
using Nabla.NN;
using Nabla.Tests.Support;

namespace Nabla.Tests.Cli;

/// <summary>
/// The packages as a user gets them: `dotnet pack` makes Nabla and the Nabla.Cli tool; the tool installs into a
/// temporary tool path and `nabla example backprop` prints the worked example's numbers; a throwaway console project
/// referencing the packed library builds and runs a forward pass equal to this process's.
/// </summary>
public sealed class PackageTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("nabla-pack-").FullName;
    public void Dispose() { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } }

    [ProgramFact("dotnet", "the .NET 10 SDK")]
    public void PackedToolAndLibraryInstallAndRun()
    {
        string root = DotnetRun.RepoRoot, pkgs = Path.Combine(dir, "pkgs"), art = Path.Combine(dir, "artifacts");
        // Build outputs go to a separate artifacts folder so the pack never touches the tree's own bin/obj.
        foreach (var project in new[] { "src/Nabla", "src/Nabla.Cli" })
            DotnetRun.Dotnet(root, null, "pack", Path.Combine(root, project), "-c", "Release", "-o", pkgs, "--artifacts-path", art, "-nodeReuse:false");
        var files = Directory.GetFiles(pkgs).Select(Path.GetFileName).ToList();
        string version = files.Single(f => f!.StartsWith("Nabla.Cli.") && f.EndsWith(".nupkg"))!["Nabla.Cli.".Length..^".nupkg".Length];
        Assert.Contains($"Nabla.{version}.nupkg", files);
        Assert.Contains($"Nabla.{version}.snupkg", files);

        // Installs use a private package cache (the packed packages never land in the machine's), fed by the packed
        // folder and, for the library's own dependency, the machine's cache or nuget.org.
        string userCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(dir, "nuget-cache") };
        var sources = Directory.Exists(userCache) ? new[] { pkgs, userCache } : new[] { pkgs };

        string tools = Path.Combine(dir, "tools");
        var install = new List<string> { "tool", "install", "--tool-path", tools, "--version", version };
        foreach (var s in sources) { install.Add("--add-source"); install.Add(s); }
        install.Add("Nabla.Cli");
        DotnetRun.Run("dotnet", install, dir, env);
        string output = DotnetRun.Run(Path.Combine(tools, "nabla"), new[] { "example", "backprop" }, dir, env);
        Assert.Contains("0.6962", output);                                  // L before the step
        Assert.Contains("[[0.5, -0.5], [0.2528, 0.7056]]", output);         // W1 after one step (lr 0.1)
        Assert.Contains("0.220787", output);                                // L after the step

        string app = Path.Combine(dir, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
            {string.Concat(sources.Select((s, i) => $"    <add key=\"local{i}\" value=\"{s}\" />\n"))}  </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Nabla" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using System.Globalization;
            using Nabla;
            using Nabla.NN;

            var gen = new Generator(seed: 42);
            var model = new Sequential(new Linear(4, 8, gen: gen), new ReLU(), new Linear(8, 3, gen: gen));
            var y = model.Forward(Tensor.Rand(gen, 5, 4));
            Console.WriteLine("sum " + y.Data.ToArray().Sum().ToString("R", CultureInfo.InvariantCulture));
            """);
        string run = DotnetRun.Dotnet(app, env, "run", "-c", "Release", "-nodeReuse:false");

        var gen = new Generator(seed: 42);
        var model = new Sequential(new Linear(4, 8, gen: gen), new ReLU(), new Linear(8, 3, gen: gen));
        var expected = model.Forward(Tensor.Rand(gen, 5, 4));
        Assert.Contains("sum " + expected.Data.ToArray().Sum().ToString("R", CultureInfo.InvariantCulture), run);
    }
}
