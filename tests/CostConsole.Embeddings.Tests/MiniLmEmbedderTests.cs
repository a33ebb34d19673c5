using CostConsole.Routing.Embeddings;

namespace CostConsole.Embeddings.Tests;

/// <summary>The real model, loaded once for the whole process and shared by every test.</summary>
public sealed class MiniLmEmbedderTests
{
    private static readonly MiniLmEmbedder Embedder = new(new MiniLmOptions());

    private static float[] Embed(string text) => Embedder.EmbedAsync(text, TestContext.Current.CancellationToken).AsTask().GetAwaiter().GetResult();

    private static float Similarity(string a, string b) => EmbeddingVectors.Dot(Embed(a), Embed(b));

    [Fact]
    public void A_prompt_becomes_a_384_dimension_vector_of_unit_length()
    {
        var vector = Embed("Where is my parcel? It was due on Monday.");

        Assert.Equal(MiniLmEmbedder.Dimensions, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 4);
        Assert.Contains(vector, v => v != 0);
    }

    [Fact]
    public void Prompts_that_mean_the_same_thing_in_other_words_are_closer_than_unrelated_ones()
    {
        const string Parcel = "Where is my parcel?";

        var paraphrase = Similarity(Parcel, "My package still hasn't arrived, can you track the delivery?");
        var unrelated = Similarity(Parcel, "Write a Python function that computes a rolling average over a CSV file.");
        var password = Similarity("How do I reset my password?", "I forgot my login credentials and cannot sign in.");
        var passwordUnrelated = Similarity("How do I reset my password?", "Summarise the quarterly churn figures by region.");

        Assert.True(paraphrase > unrelated + 0.2f, $"paraphrase {paraphrase:0.00}, unrelated {unrelated:0.00}");
        Assert.True(password > passwordUnrelated + 0.2f, $"paraphrase {password:0.00}, unrelated {passwordUnrelated:0.00}");
    }

    [Fact]
    public void The_same_text_always_gives_the_same_vector()
    {
        Assert.Equal(Embed("Cancel my subscription, please."), Embed("Cancel my subscription, please."));
    }

    [Fact]
    public async Task Only_the_first_word_pieces_up_to_the_limit_are_read()
    {
        var embedder = new MiniLmEmbedder(new MiniLmOptions { MaxTokens = 16 });
        var opening = "Please look at my order from last week, the parcel was damaged";
        var longer = opening + " and I would like a refund or a replacement as soon as possible because it was a birthday gift.";

        Assert.Equal(16, embedder.CountTokens(longer));
        var pieces = MiniLmModel.Shared(1).Tokenize(longer, 16);
        Assert.Equal((101, 102), (pieces[0], pieces[^1])); // [CLS] … [SEP], as the model was trained
        Assert.True(embedder.CountTokens("Hi") < 16);
        var a = await embedder.EmbedAsync(longer, TestContext.Current.CancellationToken);
        var b = await embedder.EmbedAsync(longer + " Thank you so much, Maria.", TestContext.Current.CancellationToken);
        Assert.Equal(a, b);
        Assert.NotEqual(a, Embed(longer));
    }

    [Fact]
    public async Task A_cancelled_request_is_not_embedded()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Embedder.EmbedAsync("Where is my parcel?", cancelled.Token).AsTask());
    }

    [Fact]
    public async Task A_model_that_cannot_load_fails_every_call_with_the_reason_and_is_not_loaded_again()
    {
        var attempts = 0;
        var embedder = new MiniLmEmbedder(new MiniLmOptions(), () =>
        {
            attempts++;
            throw new DllNotFoundException("Unable to load shared library 'onnxruntime'");
        });

        var error = await Assert.ThrowsAsync<EmbeddingException>(() => embedder.EmbedAsync("Where is my parcel?", TestContext.Current.CancellationToken).AsTask());
        await Assert.ThrowsAsync<EmbeddingException>(() => embedder.EmbedManyAsync(["a", "b"], TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("the MiniLM model could not be loaded: Unable to load shared library 'onnxruntime'", error.Message);
        Assert.Equal(error.Message, embedder.Load());
        Assert.Equal(1, attempts);
        Assert.Null(Embedder.Load());
    }
}
