using System.CommandLine;
using Nabla.Cli.Commands;

var root = new RootCommand("nabla — neural networks and generative models in C#");
root.Subcommands.Add(ExampleCommand.Create());
root.Subcommands.Add(DdpmCommand.Create());
root.Subcommands.Add(GmmCommand.Create());
root.Subcommands.Add(ArCommand.Create());
return root.Parse(args).Invoke();
