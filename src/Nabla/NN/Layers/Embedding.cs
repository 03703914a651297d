namespace Nabla.NN;

/// <summary>
/// A lookup table of <see cref="NumEmbeddings"/> learnable vectors of size <see cref="EmbeddingDim"/>; weight ~ N(0, 1)
/// as PyTorch (the <see cref="PaddingIdx"/> row zero and never updated).
/// </summary>
public sealed class Embedding : Module
{
    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }
    public int? PaddingIdx { get; }
    public Tensor Weight { get; }

    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, Generator? gen = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentException($"Embedding: sizes must be positive, got num_embeddings={numEmbeddings}, embedding_dim={embeddingDim}");
        if (paddingIdx is int pi)
        {
            if (pi < -numEmbeddings || pi >= numEmbeddings) throw new ArgumentException($"Embedding: padding_idx {pi} is out of range for {numEmbeddings} rows");
            paddingIdx = pi < 0 ? pi + numEmbeddings : pi;
        }
        NumEmbeddings = numEmbeddings; EmbeddingDim = embeddingDim; PaddingIdx = paddingIdx;
        var w = Tensor.Randn(gen ?? Generator.Default, numEmbeddings, embeddingDim);
        if (paddingIdx is int p) w.Data.Slice(p * embeddingDim, embeddingDim).Clear();
        Weight = RegisterParameter("weight", w);
    }

    /// <summary>Rows for the given indices: [indices.Length, dim].</summary>
    public Tensor Forward(int[] indices) => Functional.Embedding(indices, new[] { indices.Length }, Weight, PaddingIdx);

    /// <summary>Rows for a tensor of integer-valued indices: indices.shape + [dim].</summary>
    public override Tensor Forward(Tensor indices) => Functional.Embedding(indices, Weight, PaddingIdx);
}
