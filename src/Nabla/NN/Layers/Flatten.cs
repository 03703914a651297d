namespace Nabla.NN;

/// <summary>Flattens dimensions startDim..endDim into one (torch.nn.Flatten; by default all but the batch dimension). No parameters.</summary>
public sealed class Flatten : Module
{
    public int StartDim { get; }
    public int EndDim { get; }

    public Flatten(int startDim = 1, int endDim = -1) { StartDim = startDim; EndDim = endDim; }

    public override Tensor Forward(Tensor x)
    {
        int r = x.Rank, s = StartDim < 0 ? StartDim + r : StartDim, e = EndDim < 0 ? EndDim + r : EndDim;
        if (s < 0 || s >= r || e < 0 || e >= r || s > e)
            throw new ArgumentException($"Flatten(start_dim={StartDim}, end_dim={EndDim}): invalid for input of shape {ShapeMath.Format(x.shape)}");
        return x.Flatten(s, e);
    }
}
