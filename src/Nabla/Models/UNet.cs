using Nabla.NN;

namespace Nabla.Models;

/// <summary>
/// The UNet of a DDPM: UNet(x_t, t[, c]) predicts ε (or x_0 or v, as trained; Nabla.Diffusion.Prediction).
/// temb = MLP(sinusoidal(t)) (+ label_emb(c) when class-conditional; row NumClasses = "no label");
/// conv_in; per level l = 1…L: residual blocks (+ attention) whose output is the skip s_l, then a stride-2 conv;
/// middle: mid1 (+ mid_attn) + mid2; per level l = L…1: upsample ×2, concat [up, s_l], residual blocks (+ attention);
/// out_conv(SiLU(out_norm(h))). Every residual block adds a projection of SiLU(temb).
/// <see cref="DdpmWorkload"/> is the `ddpm` benchmark's network, weight for weight.
/// </summary>
public sealed class UNet : Module
{
    public UNetConfig Config { get; }
    public TimeEmbedding TimeMlp { get; }
    internal Embedding? LabelEmb { get; }
    internal Conv2d ConvIn { get; }
    public IReadOnlyList<UNetDownLevel> Downs { get; }
    public ResBlock Mid1 { get; }
    public SelfAttention2d? MidAttn { get; }
    public ResBlock Mid2 { get; }
    /// <summary>Up levels in execution order (level L first).</summary>
    public IReadOnlyList<UNetUpLevel> Ups { get; }
    internal GroupNorm OutNorm { get; }
    internal Conv2d OutConv { get; }

    public UNet(UNetConfig config, Generator? gen = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        gen ??= Generator.Default;
        int L = config.Levels, temb = config.TimeEmbedDim;
        var attn = new HashSet<int>(config.AttentionLevels ?? Array.Empty<int>());
        TimeMlp = RegisterModule("time_mlp", new TimeEmbedding(config.SinusoidalDim, temb, gen));
        if (config.NumClasses > 0) LabelEmb = RegisterModule("label_emb", new Embedding(config.NumClasses + 1, temb, gen: gen));
        ConvIn = RegisterModule("conv_in", new Conv2d(config.InChannels, config.BaseChannels, 3, padding: 1, gen: gen));
        var downs = new List<UNetDownLevel>();
        int c = config.BaseChannels;
        for (int l = 1; l <= L; l++)
        {
            downs.Add(RegisterModule($"down{l}", new UNetDownLevel(c, config.Channels(l), config.ResBlocksPerLevel, temb, config.Groups, attn.Contains(l), config.AttentionHeads, gen)));
            c = config.Channels(l);
        }
        Downs = downs;
        Mid1 = RegisterModule("mid1", new ResBlock(c, c, temb, config.Groups, gen));
        if (config.MidAttention) MidAttn = RegisterModule("mid_attn", new SelfAttention2d(c, config.Groups, config.AttentionHeads, gen));
        Mid2 = RegisterModule("mid2", new ResBlock(c, c, temb, config.Groups, gen));
        var ups = new List<UNetUpLevel>();
        for (int l = L; l >= 1; l--)
        {
            ups.Add(RegisterModule($"up{l}", new UNetUpLevel(c, config.Channels(l), config.Channels(l), config.ResBlocksPerLevel, temb, config.Groups, attn.Contains(l), config.AttentionHeads, config.Upsample, gen)));
            c = config.Channels(l);
        }
        Ups = ups;
        OutNorm = RegisterModule("out_norm", new GroupNorm(config.Groups, c));
        OutConv = RegisterModule("out_conv", new Conv2d(c, config.InChannels, 3, padding: 1, gen: gen));
    }

    /// <summary>
    /// The network of the `ddpm` workload (WORKLOADS.md, ../shared/bench/ref/ddpm.py): channels 32/64, one residual block
    /// per level, 8 groups, transposed-conv upsampling, no attention — 628,385 parameters, or + 11·128 with classes.
    /// </summary>
    public static UNetConfig DdpmWorkloadConfig(int numClasses = 0) => new() { NumClasses = numClasses };

    /// <summary>The `ddpm` workload's UNet; state-dict names and forward equal the PyTorch reference's.</summary>
    public static UNet DdpmWorkload(int numClasses = 0, Generator? gen = null) => new(DdpmWorkloadConfig(numClasses), gen);

    /// <summary>ε̂ for x [B, C, S, S] at timesteps t [B]; <paramref name="labels"/> [B] (class indices, NumClasses = no label) for a conditional model.</summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor? labels = null)
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(t);
        int s = Config.ImageSize;
        if (x.Rank != 4 || x.Dim(1) != Config.InChannels || x.Dim(2) % (1 << Config.Levels) != 0 || x.Dim(3) % (1 << Config.Levels) != 0)
            throw new ArgumentException($"UNet: x {ShapeMath.Format(x.Shape)} must be [B, {Config.InChannels}, H, W] with H and W divisible by {1 << Config.Levels} (trained at {s}×{s})");
        int b = x.Dim(0);
        if (t.Rank != 1 || t.Size != b) throw new ArgumentException($"UNet: t {ShapeMath.Format(t.Shape)} must be [{b}] (one timestep per sample)");
        var temb = TimeMlp.Forward(t);
        if (LabelEmb != null)
        {
            labels ??= Tensor.Full(Config.NullLabel, b);
            if (labels.Rank != 1 || labels.Size != b) throw new ArgumentException($"UNet: labels {ShapeMath.Format(labels.Shape)} must be [{b}]");
            foreach (var v in labels.Data)
                if (v < 0 || v > Config.NumClasses || v != MathF.Floor(v))
                    throw new ArgumentException($"UNet: label {v} is not a class index in 0..{Config.NumClasses} ({Config.NumClasses} = no label)");
            temb = temb + LabelEmb.Forward(labels);
        }
        else if (labels != null) throw new ArgumentException("UNet: labels were given but the model is unconditional (NumClasses = 0)");
        var ts = temb.Silu();
        var h = ConvIn.Forward(x);
        var skips = new Tensor[Downs.Count];
        for (int l = 0; l < Downs.Count; l++)
        {
            skips[l] = Downs[l].Blocks(h, ts);
            h = Downs[l].Downsample(skips[l]);
        }
        h = Mid1.Forward(h, ts);
        if (MidAttn != null) h = MidAttn.Forward(h);
        h = Mid2.Forward(h, ts);
        for (int i = 0; i < Ups.Count; i++) h = Ups[i].Forward(h, skips[Ups.Count - 1 - i], ts);
        return OutConv.Forward(UNetOps.NormSilu(OutNorm, h));
    }
}
