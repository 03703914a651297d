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

    static ContinuousBatchSampler Sampler(NoisePredictor eps, NoiseSchedule s, ContinuousBatchOptions? o = null) => new(eps, s, SampleShape, Tiny.NumClasses, o);

    [Fact]
    public void BatchedRequestsDrawWhatTheirSamplerDrawsAlone()
    {
        var (net, schedule) = Model();
        using var sampler = Sampler(net.AsNoisePredictor(), schedule);
        var requests = new[]
        {
            new SampleRequest { Count = 3, Label = 1, Steps = 12, Guidance = 2f, Seed = 11 },
            new SampleRequest { Count = 2, Label = 2, Steps = 7, Guidance = 0f, Seed = 12 },
            new SampleRequest { Count = 1, Label = null, Steps = 10, Seed = 13 },
            new SampleRequest { Count = 2, Label = 0, Steps = 9, Guidance = 1f, Eta = 1f, Seed = 14 },
        };
        var jobs = requests.Select(r => sampler.Submit(r)).ToArray();
        Assert.True(Task.WaitAll(jobs.Select(j => (Task)j.Completion).ToArray(), Patience));
        Assert.True(sampler.PeakRows > 3, $"requests should share model calls (peak {sampler.PeakRows} rows)");
        for (int k = 0; k < requests.Length; k++)
        {
            var r = requests[k];
            NoisePredictor eps = net.AsNoisePredictor();
            if (r.Label != null) eps = ClassifierFreeGuidance.Wrap(eps, Tiny.NullLabel, r.Guidance);
            var labels = Tensor.Full(r.Label ?? Tiny.NullLabel, r.Count);
            var alone = new DdimSampler(schedule, r.Steps, r.Eta, clipX0: true).Sample(eps, new[] { r.Count, 1, 8, 8 }, labels, new Generator(r.Seed));
            var got = jobs[k].Completion.Result;
            Assert.Equal(new[] { r.Count, 1, 8, 8 }, got.Shape);
            var a = alone.ToArray(); var b = got.ToArray();
            for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(Math.Clamp(a[i], -1f, 1f) - b[i]) < 1e-3f, $"request {k} value {i}: alone {a[i]}, batched {b[i]}");
        }
    }

    [Fact]
    public void ARequestJoinsTheRunningBatchAtTheNextStepBoundary()
    {
        var (net, schedule) = Model();
        using var sampler = Sampler(net.AsNoisePredictor(), schedule);
        SampleJob? late = null;
        var lateDone = new TaskCompletionSource<SampleJob>();
        var first = sampler.Submit(new SampleRequest { Count = 2, Label = 0, Steps = 30, Seed = 1 }, default, p =>
        {
            if (p.Index == 4) { late = sampler.Submit(new SampleRequest { Count = 1, Label = 2, Steps = 10, Seed = 2 }); lateDone.SetResult(late); }
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
        var a = sampler.Submit(new SampleRequest { Count = 2, Steps = 6, Label = 1 });
        var b = sampler.Submit(new SampleRequest { Count = 1, Steps = 4, Label = 1 });
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
        var victim = sampler.Submit(new SampleRequest { Count = 4, Label = 0, Guidance = 0, Steps = 5 }, cts.Token);
        var other = sampler.Submit(new SampleRequest { Count = 1, Label = 1, Guidance = 0, Steps = 5 });
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
        var running = sampler.Submit(new SampleRequest { Count = 1, Steps = 2 });
        Assert.True(gate.Calls.Wait(Patience));
        var waiting = sampler.Submit(new SampleRequest { Count = 64, Steps = 2 }, cts2.Token);
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
        var a = sampler.Submit(new SampleRequest { Steps = 3 });
        Assert.True(gate.Calls.Wait(Patience));   // a is running
        var b = sampler.Submit(new SampleRequest { Steps = 3 });
        var e = Assert.Throws<QueueFullException>(() => sampler.Submit(new SampleRequest { Steps = 3 }));
        Assert.True(e.RetryAfter >= TimeSpan.FromSeconds(1));
        gate.Go.Release(); for (int i = 0; i < 5; i++) gate.Step();
        Assert.True(Task.WaitAll(new Task[] { a.Completion, b.Completion }, Patience));
    }

    [Fact]
    public void AFailingModelCallFailsItsRequestsAndTheLoopGoesOn()
    {
        var gate = new Gate { Throw = true };
        using var sampler = Sampler(gate.Predictor, NoiseSchedule.Create(BetaSchedule.Linear, 100));
        var a = sampler.Submit(new SampleRequest { Steps = 3 });
        gate.Step();
        var ex = Assert.Throws<AggregateException>(() => a.Completion.Wait(Patience));
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        gate.Throw = false;
        var b = sampler.Submit(new SampleRequest { Steps = 2 });
        gate.Step(); gate.Step();
        Assert.True(b.Completion.Wait(Patience));
    }

    [Fact]
    public void StoppingLetsRunningRequestsFinishWithinTheGraceThenFailsTheRest()
    {
        var (net, schedule) = Model();
        var sampler = Sampler(net.AsNoisePredictor(), schedule);
        var quick = sampler.Submit(new SampleRequest { Steps = 5, Label = 0 });
        Assert.True(sampler.StopAsync(TimeSpan.FromSeconds(60)).Wait(Patience));
        Assert.True(quick.Completion.IsCompletedSuccessfully);
        Assert.Throws<SamplerStoppedException>(() => sampler.Submit(new SampleRequest()));

        var gate = new Gate();
        var stuck = Sampler(gate.Predictor, schedule);
        var slow = stuck.Submit(new SampleRequest { Steps = 50 });
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
    [InlineData(1, 0, 0, 0f, "Steps")]
    [InlineData(1, 0, 101, 0f, "Steps")]
    [InlineData(1, 0, 10, -1f, "Guidance")]
    [InlineData(1, 0, 10, float.NaN, "Guidance")]
    public void BadRequestsNameTheField(int n, int label, int steps, float guidance, string field)
    {
        var gate = new Gate();
        using var sampler = Sampler(gate.Predictor, NoiseSchedule.Create(BetaSchedule.Linear, 100));
        var e = Assert.ThrowsAny<ArgumentException>(() => sampler.Submit(new SampleRequest { Count = n, Label = label, Steps = steps, Guidance = guidance }));
        Assert.Equal(field, e.ParamName);
    }
}
