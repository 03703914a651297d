using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Nabla.Tests.Support;

namespace Nabla.Tests.Serve;

/// <summary>The page at / in Debian's headless chromium, driven through chromedriver (Selenium WebDriver).</summary>
public class ServePageBrowserTests
{
    [ProgramFact("chromedriver", "apt-get install chromium chromium-driver")]
    public async Task PickingAClassAndClickingGenerateShowsAnImage()
    {
        await using var h = await ServeHost.Start(loopback: true);
        var driverPath = ProgramFactAttribute.Find("chromedriver")!;
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driverPath)!, Path.GetFileName(driverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions();
        var browser = ProgramFactAttribute.Find("chromium|chromium-browser|google-chrome");
        if (browser != null) options.BinaryLocation = browser;
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900");
        using var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Navigate().GoToUrl(h.Url + "/");
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(60));
        wait.Until(d => d.FindElements(By.CssSelector("#class option")).Count == 11);
        Assert.Contains("Ready", driver.FindElement(By.Id("status")).Text);

        var sneaker = driver.FindElement(By.CssSelector("#class option[value='7']"));
        Assert.Equal("7 · Sneaker", sneaker.Text);
        sneaker.Click();
        driver.FindElement(By.CssSelector("#n option[value='4']")).Click();
        // a short run: set the steps slider the way a user's drag would (value + input event)
        ((IJavaScriptExecutor)driver).ExecuteScript("const s = document.getElementById('steps'); s.value = 10; s.dispatchEvent(new Event('input'));");
        Assert.False(driver.FindElement(By.Id("result")).Displayed);
        driver.FindElement(By.Id("generate")).Click();

        wait.Until(d => d.FindElement(By.Id("result")).Displayed);
        var js = (IJavaScriptExecutor)driver;
        wait.Until(_ => Convert.ToInt64(js.ExecuteScript("return document.getElementById('result').naturalWidth")) > 0);
        long width = Convert.ToInt64(js.ExecuteScript("return document.getElementById('result').naturalWidth"));
        Assert.Equal(2 * 29 + 1, width);                     // 2 × 2 grid of 28-pixel cells, 1-pixel gaps
        Assert.StartsWith("data:image/png", driver.FindElement(By.Id("download")).GetAttribute("href"));
        Assert.Contains("Sneaker", driver.FindElement(By.Id("status")).Text);
        // the preview showed the steps as they came
        Assert.True(Convert.ToInt64(js.ExecuteScript("return document.getElementById('preview').width")) > 28);
    }
}
