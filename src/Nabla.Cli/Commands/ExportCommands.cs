using System.CommandLine;
using Nabla.Diffusion;
using Nabla.IO;
using Nabla.Models;
using static Nabla.Cli.Commands.TrainingRun;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla ddpm export`, `nabla mlp export`, `nabla vae export`: a checkpoint to an ONNX file (opset 17, dynamic batch)
/// that ONNX Runtime runs — the UNet ε-predictor (EMA weights unless --raw-weights), a classifier, a VAE decoder.
/// </summary>
public static class ExportCommands
{
    static (Option<string> Checkpoint, Option<string> Onnx) Common(Command cmd, string trainedBy, string defaultOnnx)
    {
        var checkpoint = CommonOptions.Checkpoint($"nabla {trainedBy}");
        var onnx = new Option<string>("--onnx") { Description = "ONNX file to write", DefaultValueFactory = _ => defaultOnnx };
        cmd.Options.Add(checkpoint); cmd.Options.Add(onnx);
        return (checkpoint, onnx);
    }

    static void Report(string path, string what) => Console.WriteLine($"{what}: {path} ({new FileInfo(path).Length / 1024.0:N0} KiB, ONNX opset {IO.Onnx.OnnxGraph.Opset}, dynamic batch)");

    /// <summary>`ddpm export`: inputs x [B, C, S, S], t [B] (float), labels [B] (int64, conditional models); output eps.</summary>
    public static Command Ddpm()
    {
        var cmd = new Command("export", "Write the checkpoint's UNet (ε-predictor) as an ONNX model: inputs x, t (and labels), output eps");
        var (checkpoint, onnx) = Common(cmd, "ddpm train", "unet.onnx");
        var raw = new Option<bool>("--raw-weights") { Description = "Export the trained weights instead of their EMA (the default, which samples better)" };
        cmd.Options.Add(raw);
        cmd.SetAction(r => Guard("ddpm export", () =>
        {
            var model = DdpmCheckpoint.Read(r.GetValue(checkpoint)!).BuildModel(ema: !r.GetValue(raw));
            string path = r.GetValue(onnx)!;
            model.ExportOnnx(path);
            Report(path, $"UNet ({(r.GetValue(raw) ? "raw" : "EMA")} weights, {(model.Config.NumClasses > 0 ? $"{model.Config.NumClasses} classes" : "unconditional")})");
            return 0;
        }));
        return cmd;
    }

    /// <summary>`mlp export`: input images ([B, 784] for mlp, [B, 1, 28, 28] for cnn), output logits.</summary>
    public static Command Mlp()
    {
        var cmd = new Command("export", "Write a classifier checkpoint as an ONNX model: input images, output logits");
        var (checkpoint, onnx) = Common(cmd, "mlp train", "classifier.onnx");
        var arch = new Option<string?>("--model") { Description = "mlp or cnn (default: the one the checkpoint names)" };
        cmd.Options.Add(arch);
        cmd.SetAction(r => Guard("mlp export", () =>
        {
            string ck = r.GetValue(checkpoint)!;
            string name = r.GetValue(arch)?.ToLowerInvariant() ?? Classifier.ArchitectureOf(SafeTensorFile.Read(ck).Metadata)
                ?? throw new ArgumentException($"{ck} names no architecture in its metadata: pass --model mlp or --model cnn");
            var net = Classifier.Create(name, new Generator(0));
            net.LoadSafetensors(ck);
            string path = r.GetValue(onnx)!;
            ClassifierOnnxExport.ExportOnnx(net, name, path);
            Report(path, $"{name} classifier");
            return 0;
        }));
        return cmd;
    }

    /// <summary>`vae export`: the decoder, input z [B, latent], output images in [0, 1].</summary>
    public static Command Vae()
    {
        var cmd = new Command("export", "Write a VAE checkpoint's decoder as an ONNX model: input z, output images in [0, 1]");
        var (checkpoint, onnx) = Common(cmd, "vae train", "vae_decoder.onnx");
        cmd.SetAction(r => Guard("vae export", () =>
        {
            var model = VaeCommand.Load(r.GetValue(checkpoint)!);
            string path = r.GetValue(onnx)!;
            model.ExportDecoderOnnx(path);
            Report(path, $"{model.Architecture} VAE decoder (latent {model.LatentDim})");
            return 0;
        }));
        return cmd;
    }
}
