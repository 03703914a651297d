namespace Nabla.NN;

/// <summary>
/// What batch and instance normalization share (PyTorch's _NormBase): optional affine γ (<c>weight</c>, 1) and
/// β (<c>bias</c>, 0) per channel, and optional running statistics <c>running_mean</c> (0), <c>running_var</c> (1)
/// and the integer <c>num_batches_tracked</c>, registered under PyTorch's names.
/// </summary>
public abstract class NormBase : Module
{
    public int NumFeatures { get; }
    public float Eps { get; }
    /// <summary>Weight of the newest batch in the running averages (null: see the subclass).</summary>
    public float? Momentum { get; set; }
    public bool Affine { get; }
    public bool TrackRunningStats { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public Tensor? RunningMean { get; }
    public Tensor? RunningVar { get; }
    public Tensor? NumBatchesTracked { get; }

    protected NormBase(int numFeatures, float eps, float? momentum, bool affine, bool trackRunningStats)
    {
        if (numFeatures <= 0) throw new ArgumentException($"{GetType().Name}: num_features must be positive, got {numFeatures}");
        if (!(eps > 0)) throw new ArgumentException($"{GetType().Name}: eps must be positive, got {eps}");
        NumFeatures = numFeatures; Eps = eps; Momentum = momentum; Affine = affine; TrackRunningStats = trackRunningStats;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(numFeatures));
            Bias = RegisterParameter("bias", Tensor.Zeros(numFeatures));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(numFeatures));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones(numFeatures));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Scalar(0), integer: true);
        }
    }
}
