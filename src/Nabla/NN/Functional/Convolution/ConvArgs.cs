using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>Argument checks shared by Conv2d and ConvTranspose2d, and the im2col geometry they imply.</summary>
internal static class ConvArgs
{
    /// <summary>
    /// Validates the arguments and returns the im2col geometry of one group of one image. For Conv2d the unfolded
    /// image is the input; for ConvTranspose2d it is the output (the transposed convolution is the adjoint of the
    /// convolution that maps its output back to its input).
    /// </summary>
    public static ConvGeometry Check(string op, Tensor x, Tensor weight, Tensor? bias, (int h, int w) stride, (int h, int w) padding,
        (int h, int w) dilation, int groups, bool transposed, (int h, int w) outputPadding)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: input must be 4-D [N, C, H, W], got {ShapeMath.Format(x.shape)}");
        if (weight.Rank != 4) throw new ArgumentException($"{op}: weight must be 4-D, got {ShapeMath.Format(weight.shape)}");
        if (groups <= 0) throw new ArgumentException($"{op}: groups must be positive, got {groups}");
        if (stride.h <= 0 || stride.w <= 0) throw new ArgumentException($"{op}: stride must be positive, got ({stride.h}, {stride.w})");
        if (dilation.h <= 0 || dilation.w <= 0) throw new ArgumentException($"{op}: dilation must be positive, got ({dilation.h}, {dilation.w})");
        if (padding.h < 0 || padding.w < 0) throw new ArgumentException($"{op}: padding must be non-negative, got ({padding.h}, {padding.w})");
        int cin = x.shape[1], H = x.shape[2], W = x.shape[3], kh = weight.shape[2], kw = weight.shape[3];
        if (kh <= 0 || kw <= 0) throw new ArgumentException($"{op}: weight {ShapeMath.Format(weight.shape)} has an empty kernel");
        if (!transposed)
        {
            int cout = weight.shape[0];
            if (cin % groups != 0 || cout % groups != 0)
                throw new ArgumentException($"{op}: groups={groups} must divide input channels {cin} and output channels {cout} (input {ShapeMath.Format(x.shape)}, weight {ShapeMath.Format(weight.shape)})");
            if (weight.shape[1] * groups != cin)
                throw new ArgumentException($"{op}: input {ShapeMath.Format(x.shape)} has {cin} channels but weight {ShapeMath.Format(weight.shape)} with groups={groups} expects {weight.shape[1] * groups}");
            CheckBias(op, bias, cout);
            int oh = ConvGeometry.OutSize(H, kh, stride.h, padding.h, dilation.h), ow = ConvGeometry.OutSize(W, kw, stride.w, padding.w, dilation.w);
            if (oh <= 0 || ow <= 0)
                throw new ArgumentException($"{op}: kernel {kh}×{kw} (dilation ({dilation.h}, {dilation.w})) is larger than the padded input {H + 2 * padding.h}×{W + 2 * padding.w} (input {ShapeMath.Format(x.shape)}, padding ({padding.h}, {padding.w}))");
            return new ConvGeometry(cin / groups, H, W, kh, kw, stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, oh, ow);
        }
        else
        {
            if (cin % groups != 0) throw new ArgumentException($"{op}: groups={groups} must divide input channels {cin} (input {ShapeMath.Format(x.shape)})");
            if (weight.shape[0] != cin)
                throw new ArgumentException($"{op}: input {ShapeMath.Format(x.shape)} has {cin} channels but weight {ShapeMath.Format(weight.shape)} expects {weight.shape[0]} (weight is [Cin, Cout/groups, kh, kw])");
            int cout = weight.shape[1] * groups;
            CheckBias(op, bias, cout);
            if (outputPadding.h < 0 || outputPadding.w < 0) throw new ArgumentException($"{op}: output_padding must be non-negative, got ({outputPadding.h}, {outputPadding.w})");
            if ((outputPadding.h >= stride.h && outputPadding.h >= dilation.h) || (outputPadding.w >= stride.w && outputPadding.w >= dilation.w))
                throw new ArgumentException($"{op}: output_padding ({outputPadding.h}, {outputPadding.w}) must be smaller than either stride ({stride.h}, {stride.w}) or dilation ({dilation.h}, {dilation.w})");
            int oh = (H - 1) * stride.h - 2 * padding.h + dilation.h * (kh - 1) + outputPadding.h + 1;
            int ow = (W - 1) * stride.w - 2 * padding.w + dilation.w * (kw - 1) + outputPadding.w + 1;
            if (oh <= 0 || ow <= 0)
                throw new ArgumentException($"{op}: output size {oh}×{ow} is not positive (input {ShapeMath.Format(x.shape)}, weight {ShapeMath.Format(weight.shape)}, stride ({stride.h}, {stride.w}), padding ({padding.h}, {padding.w}))");
            return new ConvGeometry(cout / groups, oh, ow, kh, kw, stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, H, W);
        }
    }

    static void CheckBias(string op, Tensor? bias, int cout)
    {
        if (bias != null && (bias.Rank != 1 || bias.Size != cout))
            throw new ArgumentException($"{op}: bias {ShapeMath.Format(bias.shape)} must be [{cout}]");
    }
}
