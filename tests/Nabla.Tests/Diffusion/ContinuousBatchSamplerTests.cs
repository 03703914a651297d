using Nabla.Diffusion;
using Nabla.Models;

namespace Nabla.Tests.Diffusion;

public class ContinuousBatchSamplerTests
{
    static readonly UNetConfig Tiny = new() { ImageSize = 8, BaseChannels = 8, ChannelMults = new[] { 1, 2 }, Groups = 4, TimeEmbedDim = 32, SinusoidalDim = 16, NumClasses = 3 };
    static readonly int[] SampleShape = { 1, 8, 8 };
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    static (UNet net, NoiseSchedule schedule) Model()
    {
        var net = new UNet(Tiny, new Generator(5));
        net.Eval();
        return (net, NoiseSchedule.Create(BetaSchedule.Linear, 100));
    }

    static ContinuousBatchSampler Sampler(NoisePredictor eps, NoiseSchedule s, ContinuousBatchOptions? o = null) =>
        new(new DiffusionPipeline(eps, s, SampleShape, numClasses: Tiny.NumClasses), o);

    static SampleRequest Req(int count = 1, int? label = null, int steps = 10, float guidance = 2f, ulong seed = 0, SamplerKind sampler = SamplerKind.Ddim, float eta = 0f) =>
        new() { Count = count, Label = label, Seed = seed, Options = new DiffusionSamplingOptions { Sampler = sampler, Steps = steps, Guidance = guidance, Eta = eta } };

    [Fact]
    public void BatchedRequestsDrawWhatTheirSamplerDrawsAlone()
    {
        var (net, schedule) = Model();
        using var sampler = Sampler(net.AsNoisePredictor(), schedule);
        var requests = new[]
        {
            Req(3, label: 1, steps: 12, guidance: 2f, seed: 11),
            Req(2, label: 2, steps: 7, guidance: 0f, seed: 12),
            Req(1, label: null, steps: 10, seed: 13),
            Req(2, label: 0, steps: 9, guidance: 1f, eta: 1f, seed: 14),
            Req(2, label: 1, steps: 8, guidance: 3f, seed: 15, sampler: SamplerKind.DpmSolverPP2M),
            Req(1, label: 2, steps: 6, guidance: 1f, seed: 16, sampler: SamplerKind.Ancestral),
            Req(1, label: 0, steps: 5, guidance: 1f, seed: 17, sampler: SamplerKind.Euler),
        };
        var jobs = requests.Select(r => sampler.Submit(r)).ToArray();
        Assert.True(Task.WaitAll(jobs.Select(j => (Task)j.Completion).ToArray(), Patience));
        Assert.True(sampler.PeakRows > 3, $"requests should share model calls (peak {sampler.PeakRows} rows)");
        for (int k = 0; k < requests.Length; k++)
        {
            var r = requests[k];
            var pipe = new DiffusionPipeline(net, schedule);
            var alone = pipe.Sample(r.Count, r.Label is int c ? Enumerable.Repeat(c, r.Count).ToArray() : null, r.Options, new Generator(r.Seed));
            var got = jobs[k].Completion.Result;
            Assert.Equal(new[] { r.Count, 1, 8, 8 }, got.Shape);
            var a = alone.ToArray(); var b = got.ToArray();
            for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) < 1e-3f, $"request {k} value {i}: alone {a[i]}, batched {b[i]}");
        }
    }

    [Fact]
    public void ARequestJoinsTheRunningBatchAtTheNextStepBoundary()
    {
        var (net, schedule) = Model();
        using var sampler = Sampler(net.AsNoisePredictor(), schedule);
        SampleJob? late = null;
        var lateDone = new TaskCompletionSource<SampleJob>();
        var first = sampler.Submit(Req(2, label: 0, steps: 30, seed: 1), default, p =>
        {
            if (p.Index == 4) { late = sampler.Submit(Req(1, label: 2, steps: 10, seed: 2)); lateDone.SetResult(late); }
        });
        Assert.True(first.Completion.Wait(Patience));
        var l = lateDone.Task.Result;
        Assert.True(l.Completion.IsCompletedSuccessfully);
        Assert.Equal(10, l.StepsDone);
        Assert.Equal(30, sampler.ModelCalls);       // the late request's ten steps rode along in the first one's calls
        Assert.Equal(3, sampler.PeakRows);
    }

    [Fact]
    public void WithoutBatchingRequestsRunOneAtATime()
    {
        var (net, schedule) = Model();
        using var sampler = Sampler(net.AsNoisePredictor(), schedule, new ContinuousBatchOptions { Batching = false });
        var a = sampler.Submit(Req(2, label: 1, steps: 6));
        var b = sampler.Submit(Req(1, label: 1, steps: 4));
        Assert.True(Task.WaitAll(new Task[] { a.Completion, b.Completion }, Patience));
        Assert.Equal(10, sampler.ModelCalls);
        Assert.Equal(2, sampler.PeakRows);
    }

    /// <summary>A predictor that blocks each call until the test lets it go, so the test sees every step boundary.</summary>
    sealed class Gate
    {
        public readonly SemaphoreSlim Calls = new(0), Go = new(0);
        public volatile bool Throw;
        public NoisePredictor Predictor => (x, t, l) =>
        {
            Calls.Release();
            if (!Go.Wait(Patience)) throw new TimeoutException("test gate");
            if (Throw) throw new InvalidOperationException("model failed");
            return Tensor.Zeros(x.Shape);
        };
        public void Step() { Assert.True(Calls.Wait(Patience)); Go.Release(); }
        /// <summary>Lets calls through until <paramref name="task"/> completes.</summary>
        public void Until(Task task)
        {
            var end = DateTime.UtcNow + Patience;
            while (!task.IsCompleted && DateTime.UtcNow < end) if (Calls.Wait(10)) Go.Release();
            Assert.True(task.Wait(Patience));
        }
    }

    [Fact]
    public void CancellingARequestRemovesItsRowsAndSparesTheOthers()
    {
        var gate = new Gate();
        using var sampler = Sampler(gate.Predictor, NoiseSchedule.Create(BetaSchedule.Linear, 100));
        using var cts = new CancellationTokenSource();
        var victim = sampler.Submit(Req(4, label: 0, guidance: 0, steps: 5), cts.Token);
        var other = sampler.Submit(Req(1, label: 1, guidance: 0, steps: 5));
        gate.Step();
        Assert.True(gate.Calls.Wait(Patience));     // the second call has both requests
        Assert.Equal(5, sampler.ActiveRows);
        cts.Cancel();
        gate.Go.Release();
        gate.Until(other.Completion);
        Assert.True(victim.Completion.IsCanceled);
        Assert.Equal(0, sampler.ActiveRows);

        // a waiting request that is cancelled frees its queue slot at once
        using var cts2 = new CancellationTokenSource();
        var running = sampler.Submit(Req(1, steps: 2));
        Assert.True(gate.Calls.Wait(Patience));
        var waiting = sampler.Submit(Req(64, steps: 2), cts2.Token);
        Assert.Equal(1, sampler.Queued);
        cts2.Cancel();
        Assert.Equal(0, sampler.Queued);
        Assert.True(waiting.Completion.IsCanceled);
        gate.Go.Release(); gate.Step();
        Assert.True(running.Completion.Wait(Patience));
    }

    [Fact]
    public void AFullQueueRefusesWithARetryHint()
    {
        var gate = new Gate();
        using var sampler = Sampler(gate.Predictor, NoiseSchedule.Create(BetaSchedule.Linear, 100), new ContinuousBatchOptions { QueueCapacity = 1, Batching = false });
        var a = sampler.Submit(Req(steps: 3));
        Assert.True(gate.Calls.Wait(Patience));   // a is running
        var b = sampler.Submit(Req(steps: 3));
        var e = Assert.Throws<QueueFullException>(() => sampler.Submit(Req(steps: 3)));
        Assert.True(e.RetryAfter >= TimeSpan.FromSeconds(1));
        gate.Go.Release(); for (int i = 0; i < 5; i++) gate.Step();
        Assert.True(Task.WaitAll(new Task[] { a.Completion, b.Completion }, Patience));
    }

    [Fact]
    public void AFailingModelCallFailsItsRequestsAndTheLoopGoesOn()
    {
        var gate = new Gate { Throw = true };
        using var sampler = Sampler(gate.Predictor, NoiseSchedule.Create(BetaSchedule.Linear, 100));
        var a = sampler.Submit(Req(steps: 3));
        gate.Step();
        var ex = Assert.Throws<AggregateException>(() => a.Completion.Wait(Patience));
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        gate.Throw = false;
        var b = sampler.Submit(Req(steps: 2));
        gate.Step(); gate.Step();
        Assert.True(b.Completion.Wait(Patience));
    }

    [Fact]
    public void StoppingLetsRunningRequestsFinishWithinTheGraceThenFailsTheRest()
    {
        var (net, schedule) = Model();
        var sampler = Sampler(net.AsNoisePredictor(), schedule);
        var quick = sampler.Submit(Req(label: 0, steps: 5));
        Assert.True(sampler.StopAsync(TimeSpan.FromSeconds(60)).Wait(Patience));
        Assert.True(quick.Completion.IsCompletedSuccessfully);
        Assert.Throws<SamplerStoppedException>(() => sampler.Submit(Req()));

        var gate = new Gate();
        var stuck = Sampler(gate.Predictor, schedule);
        var slow = stuck.Submit(Req(steps: 50));
        gate.Step();
        var stop = stuck.StopAsync(TimeSpan.FromMilliseconds(50));
        Thread.Sleep(200);
        gate.Go.Release();                          // the step in progress ends; the grace is over
        Assert.True(stop.Wait(Patience));
        var ex = Assert.Throws<AggregateException>(() => slow.Completion.Wait(Patience));
        Assert.IsType<SamplerStoppedException>(ex.InnerException);
    }

    [Theory]
    [InlineData(0, 0, 10, 0f, "Count")]
    [InlineData(65, 0, 10, 0f, "Count")]
    [InlineData(1, 3, 10, 0f, "Label")]
    [InlineData(1, 0, 0, 0f, "Options")]
    [InlineData(1, 0, 101, 0f, "Options")]
    [InlineData(1, 0, 10, -1f, "Options")]
    [InlineData(1, 0, 10, float.NaN, "Options")]
    public void BadRequestsNameTheField(int n, int label, int steps, float guidance, string field)
    {
        var gate = new Gate();
        using var sampler = Sampler(gate.Predictor, NoiseSchedule.Create(BetaSchedule.Linear, 100));
        var e = Assert.ThrowsAny<ArgumentException>(() => sampler.Submit(Req(n, label, steps, guidance)));
        Assert.Equal(field, e.ParamName);
    }
}
