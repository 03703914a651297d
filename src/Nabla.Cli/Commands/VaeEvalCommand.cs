using System.CommandLine;
using Nabla.Data;
using Nabla.IO;
using Nabla.Models;

namespace Nabla.Cli.Commands;

/// <summary>`nabla vae eval --nll`: the VAE's −ELBO in bits/dim on the 8-bit test images (discretized Gaussian decoder; see <see cref="VaeLikelihood"/>).</summary>
public static class VaeEvalCommand
{
    public static Command Create()
    {
        var cmd = new Command("eval", "Score a VAE checkpoint: −ELBO in bits/dim on the 8-bit Fashion-MNIST test images (comparable with `nabla ddpm eval --nll`)");
        var ck = CommonOptions.Checkpoint("nabla vae train");
        var nll = new Option<bool>("--nll") { Description = "Compute the bound (the only evaluation so far; implied)" };
        var images = new Option<int>("--nll-images") { Description = "Test images in the bound (the first N; 0 = all)", DefaultValueFactory = _ => 0 };
        var samples = new Option<int>("--z-samples") { Description = "Draws of z ~ q(z|x) per image", DefaultValueFactory = _ => 4 };
        var std = new Option<double?>("--decoder-std") { Description = "σ of the discretized Gaussian decoder (default: fitted on 2,000 training images)" };
        var seed = CommonOptions.Seed("Seed of the z draws");
        var data = CommonOptions.DataFolder();
        foreach (var o in new Option[] { ck, nll, images, samples, std, seed, data }) cmd.Options.Add(o);
        cmd.SetAction(r => TrainingRun.Guard("vae eval", () =>
        {
            using var run = new TrainingRun();
            string path = r.GetValue(ck)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"--checkpoint: no file at {path}");
            var file = SafeTensorFile.Read(path);
            var vae = VariationalAutoencoder.FromMetadata(file.Metadata);
            vae.LoadStateDict(file.ReadAll());
            vae.Eval();
            int n = r.GetValue(images);
            if (n < 0) throw new ArgumentException($"--nll-images must be ≥ 0, got {n}");
            var d = FashionMnist.Load(r.GetValue(data));
            var test = Grid(d.Test.Inputs, n == 0 ? d.Test.Count : Math.Min(n, d.Test.Count));
            var gen = new Generator(r.GetValue(seed));
            double sigma = r.GetValue(std) ?? VaeLikelihood.FitDecoderStd(vae, Grid(d.Train.Inputs, Math.Min(2000, d.Train.Count)), gen.Fork(1), run.Token);
            var b = VaeLikelihood.NegativeElbo(vae, test, sigma, gen, r.GetValue(samples), ct: run.Token);
            Console.WriteLine($"{path}: {vae.Architecture} VAE, latent {vae.LatentDim}; {b.Images} test images, discretized Gaussian decoder σ = {sigma:G4}{(r.GetValue(std) == null ? " (fitted on training images)" : "")}");
            Console.WriteLine($"−ELBO: {b.BitsPerDim:F4} ± {b.StandardError:F4} bits/dim   (reconstruction {b.ReconstructionBits:F4}, KL {b.KlBits:F4})");
            return 0;
        }));
        return cmd;
    }

    static Tensor Grid(Tensor x01, int n)
    {
        int per = x01.Size / x01.Dim(0);
        var part = new float[n * per];
        x01.Data.Slice(0, n * per).CopyTo(part);
        return DiscretizedGaussian.FromUnitInterval(new Tensor(part, n, 1, 28, 28));
    }
}
