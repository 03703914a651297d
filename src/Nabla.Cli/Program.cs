using System.CommandLine;
using Nabla.Cli.Commands;

var root = new RootCommand("nabla — neural networks and generative models in C#");
root.Subcommands.Add(ExampleCommand.Create());
root.Subcommands.Add(DdpmCommand.Create());
root.Subcommands.Add(GmmCommand.Create());
root.Subcommands.Add(ArCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
foreach (var c in new[] { MlpCommand.Create(), AeCommand.Create(), VaeCommand.Create() }) root.Subcommands.Add(c);
return root.Parse(args).Invoke();
