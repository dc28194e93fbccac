package io.orderflow.console;

import io.orderflow.support.MachinePart;
import io.orderflow.support.OrderflowProcess;
import jakarta.jms.Connection;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The console in a real browser (Debian's headless Chromium through chromium-driver and
 * Selenium), against the real jar on the embedded defaults. Screenshots of each page go to
 * target/console-screenshots/. Skipped where Chromium is not installed (.ci/run installs it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final String TOKEN = "console-test-token-0123456789";
    private static final Path SCREENSHOTS = Path.of("target/console-screenshots");

    private Path work;
    private OrderflowProcess orderflow;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeAll
    void start() throws Exception {
        MachinePart.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "Chromium and chromium-driver are not installed (apt-get install chromium chromium-driver); .ci/run installs them");
        work = Files.createTempDirectory("orderflow-console-");
        orderflow = new OrderflowProcess(work).with("orderflow.admin.token", TOKEN);
        orderflow.start();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        Files.createDirectories(SCREENSHOTS);
        OrderflowProcess.drop(orderflow.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nCON-1,100\n");
    }

    @AfterAll
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (orderflow != null) {
            orderflow.close();
        }
    }

    private String console(String hash) {
        return "http://127.0.0.1:" + orderflow.httpPort + "/console/" + hash;
    }

    @Test
    void should_show_an_order_dropped_as_a_file_with_its_full_timeline_and_its_name_as_text() throws Exception {
        String hostile = "<script>alert(1)</script>";
        OrderflowProcess.drop(orderflow.dataDir().resolve("orders/inbox"), "c-1.json", "{\"orderId\":\"C-1\",\"customer\":{\"name\":\""
                + hostile.replace("/", "\\/") + "\",\"email\":\"c1@example.com\"},\"lines\":[{\"sku\":\"CON-1\",\"quantity\":2}]}");
        await().atMost(Duration.ofSeconds(60)).until(() -> orderflow.settled("C-1"));

        browser.get(console("#/orders"));
        WebElement id = wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("orderId")));
        id.sendKeys("C-1");
        browser.findElement(By.id("search")).click();
        WebElement link = wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("a.order-link")));
        assertThat(browser.findElement(By.cssSelector("tr.order-row")).getText()).contains("C-1", hostile, "c1@example.com", "CONFIRMED");
        screenshot("orders");
        link.click();

        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#timeline li.event"), 3));
        assertThat(browser.findElement(By.id("order-status")).getText()).isEqualTo("CONFIRMED");
        assertThat(browser.findElement(By.id("order-customer")).getText()).contains(hostile);
        assertThat(browser.findElement(By.id("order-notified")).getText()).contains("<C-1.confirmation@orderflow>");
        List<WebElement> events = browser.findElements(By.cssSelector("#timeline li.event"));
        assertThat(events.get(0).getText()).contains("OrderPlaced", "emitted by order", "published", "stock applied it at");
        assertThat(events.get(1).getText()).contains("StockReserved", "email applied it at", "order applied it at");
        assertThat(events.get(2).getText()).contains("CustomerNotified", "order applied it at");
        // the name was shown as text: no script ran
        assertThatThrownBy(() -> browser.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
        screenshot("order");
    }

    @Test
    void should_be_read_only_without_the_token_then_retry_a_poison_event_from_the_page() throws Exception {
        browser.get(console("#/dead-letters"));
        browser.navigate().refresh();
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        browser.navigate().refresh();
        WebElement readOnly = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("read-only")));
        assertThat(readOnly.getText()).contains("Read-only", "admin token");
        assertThat(browser.findElement(By.id("mode")).getText()).isEqualTo("read-only");
        screenshot("dead-letters-read-only");

        try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + orderflow.brokerPort);
             Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = session.createProducer(session.createTopic("orderflow.events"));
            TextMessage poison = session.createTextMessage("{not json");
            poison.setStringProperty("eventType", "OrderPlaced");
            poison.setStringProperty("orderId", "POISON-1");
            producer.send(poison);
        }

        browser.findElement(By.id("token")).sendKeys(TOKEN);
        browser.findElement(By.id("token-save")).click();
        wait.until(ExpectedConditions.textToBe(By.id("mode"), "admin"));
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            browser.navigate().refresh();
            return !browser.findElements(By.cssSelector("tr.dead-letter")).isEmpty();
        });
        // filtered by order id from the page's form
        browser.findElement(By.name("orderId")).sendKeys("POISON-1");
        browser.findElement(By.id("filter")).click();
        wait.until(ExpectedConditions.urlContains("orderId=POISON-1"));
        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("tr.dead-letter")));
        assertThat(row.getText()).contains("orderflow.dead-letter", "OrderPlaced", "POISON-1", "not valid JSON");
        screenshot("dead-letters");

        row.findElement(By.cssSelector("input.pick")).click();
        browser.findElement(By.id("retry")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("outcome"))).getText()).contains("retry: 1");
    }

    @Test
    void should_show_stock_by_sku_and_the_orders_holding_it() throws Exception {
        OrderflowProcess.drop(orderflow.dataDir().resolve("orders/inbox"), "s-1.json",
                "{\"orderId\":\"S-1\",\"customer\":{\"email\":\"s1@example.com\"},\"lines\":[{\"sku\":\"CON-1\",\"quantity\":1}]}");
        await().atMost(Duration.ofSeconds(60)).until(() -> orderflow.settled("S-1"));

        browser.get(console("#/stock"));
        WebElement sku = wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("sku")));
        sku.sendKeys("CON");
        browser.findElement(By.id("stock-go")).click();
        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("tr.sku-row")));
        assertThat(row.getText()).startsWith("CON-1 100");
        row.findElement(By.tagName("a")).click();
        WebElement reservations = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("reservation-table")));
        assertThat(reservations.getText()).contains("S-1");
        screenshot("stock");
    }

    @Test
    void should_chart_the_flow_and_show_the_health_of_its_dependencies() throws Exception {
        browser.get(console("#/flow"));
        WebElement health = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("health")));
        assertThat(health.getText()).contains("database: UP", "broker: UP", "disk: UP", "mail: UP");
        // a few samples polled, then four charts with lines
        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("svg.chart"), 4));
        wait.until(d -> d.findElement(By.id("flow")).getText().contains("the last 3 samples"));
        assertThat(browser.findElements(By.cssSelector("svg.chart polyline"))).hasSizeGreaterThanOrEqualTo(4);
        screenshot("flow");
    }

    private void screenshot(String page) throws Exception {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(page + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
