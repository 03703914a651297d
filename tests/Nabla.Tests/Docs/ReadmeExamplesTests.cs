using System.Text;
using System.Text.RegularExpressions;
using Nabla.Tests.Support;

namespace Nabla.Tests.Docs;

/// <summary>
/// Every ```csharp block of README.md builds and runs against the library, so the examples cannot rot. A block is a
/// program of top-level statements (its leading <c>using</c> lines are the program's usings); a block right after the
/// line <c>&lt;!-- fragment --&gt;</c> shows a piece of a larger program and is not built. All runnable blocks go into
/// one temporary console project (one build), each as a method run in a fresh working folder.
/// </summary>
public sealed class ReadmeExamplesTests : IDisposable
{
    public const string FragmentMarker = "<!-- fragment";
    readonly string dir = Directory.CreateTempSubdirectory("nabla-readme-").FullName;
    public void Dispose() { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } }

    /// <summary>The README's C# blocks in order, with whether each is marked as a fragment.</summary>
    public static List<(string Code, bool Fragment, int Line)> Blocks(string markdown)
    {
        var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var blocks = new List<(string, bool, int)>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp") continue;
            int start = i;
            var prev = lines.Take(i).Reverse().FirstOrDefault(l => l.Trim().Length > 0) ?? "";
            var code = new StringBuilder();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++) code.AppendLine(lines[i]);
            blocks.Add((code.ToString(), prev.TrimStart().StartsWith(FragmentMarker, StringComparison.Ordinal), start + 1));
        }
        return blocks;
    }

    [Fact]
    public void BlocksAreFoundAndFragmentsMarked()
    {
        var b = Blocks("text\n```csharp\nA();\n```\n<!-- fragment: uses A -->\n\n```csharp\nB();\n```\n```bash\nls\n```\n");
        Assert.Equal(2, b.Count);
        Assert.False(b[0].Fragment); Assert.True(b[1].Fragment);
        Assert.Equal("B();", b[1].Code.Trim());
    }

    [ProgramFact("dotnet", "the .NET 10 SDK")]
    public void EveryRunnableReadmeBlockBuildsAndRuns()
    {
        string root = DotnetRun.RepoRoot;
        var blocks = Blocks(File.ReadAllText(Path.Combine(root, "README.md")));
        var runnable = blocks.Where(b => !b.Fragment).ToList();
        Assert.True(runnable.Count >= 2, $"README.md has {runnable.Count} runnable C# blocks");

        var usings = new SortedSet<string>(StringComparer.Ordinal);
        var program = new StringBuilder();
        var calls = new StringBuilder();
        foreach (var (code, _, line) in runnable)
        {
            var body = new StringBuilder();
            foreach (var l in code.Split('\n'))
                if (Regex.IsMatch(l, @"^using\s+[\w.]+\s*;")) usings.Add(l.Trim());
                else body.AppendLine(l);
            program.AppendLine($"static class ReadmeLine{line} {{ public static void Run() {{\n#line {line + 1} \"README.md\"\n{body}\n#line default\n}} }}");
            calls.AppendLine($"Block(args[0], \"README.md line {line}\", ReadmeLine{line}.Run);");
        }
        string app = Path.Combine(dir, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "Program.cs"), string.Join("\n", usings) + "\n" + calls + """

            static void Block(string root, string name, Action run)
            {
                string work = Path.Combine(root, name.Replace(' ', '_').Replace('.', '_'));
                Directory.CreateDirectory(work);
                Directory.SetCurrentDirectory(work);
                run();
                Console.WriteLine($"ran {name}");
            }

            """ + program);
        // The library as built for this test run (the copy next to the test binaries), with its one dependency, and the
        // embedded data beside the program as the CLI ships it (a fresh machine has no /usr/share/datasets).
        string lib = AppContext.BaseDirectory;
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <NoWarn>CS8321</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="Nabla" HintPath="{Path.Combine(lib, "Nabla.dll")}" />
                <Reference Include="System.Numerics.Tensors" HintPath="{Path.Combine(lib, "System.Numerics.Tensors.dll")}" />
                <None Include="{Path.Combine(root, "data")}/**" LinkBase="data" CopyToOutputDirectory="PreserveNewest" />
              </ItemGroup>
            </Project>
            """);
        string output = DotnetRun.Dotnet(app, null, "run", "-c", "Release", "-nodeReuse:false", "--", Path.Combine(dir, "work"));
        foreach (var (_, _, line) in runnable) Assert.Contains($"ran README.md line {line}", output);
    }
}
