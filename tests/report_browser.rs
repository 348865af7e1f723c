//! The HTML report in a real browser (Debian's headless Chromium, which scripts/test.sh
//! installs): it loads with no console error, its tables and every chart are there, a link can
//! open the comparison sorted, and it renders to a screenshot.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|c| {
            Command::new("sh")
                .args(["-c", &format!("command -v {c}")])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        })
}

/// Run headless Chromium on `url` with `args`; (stdout, stderr).
fn browse(browser: &Path, profile: &Path, url: &str, args: &[&str]) -> (String, String) {
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The `<td>` texts of the comparison table's rows, in page order.
fn comparison_rows(dom: &str) -> Vec<Vec<String>> {
    let start = dom.find("id=\"comparison\"").expect("the comparison table");
    let body = &dom[start..];
    let body = &body[body.find("<tbody>").expect("tbody")..body.find("</tbody>").expect("/tbody")];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|c| {
                    let text = &c[c.find('>').unwrap() + 1..];
                    text[..text.find("</td>").unwrap()].to_string()
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_report_loads_in_chromium_with_its_tables_and_charts() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no Chromium: scripts/test.sh installs Debian's `chromium`, or set CHROMIUM"
        );
        eprintln!("skipped: no Chromium on this machine (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.csv");
    let mut text = String::from("timestamp,count\n");
    for m in 0..360 {
        let load = if (120..200).contains(&m) { 6000 } else { 1200 };
        text.push_str(&format!(
            "2026-01-01 {:02}:{:02}:00,{load}\n",
            m / 60,
            m % 60
        ));
    }
    std::fs::write(&trace, text).unwrap();
    let report = dir.path().join("report.html");
    let json = dir.path().join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["simulate", "simulations/worldcup98.toml", "--trace"])
        .arg(&trace)
        .arg("--report")
        .arg(&report)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let policies = results["policies"].as_array().unwrap();
    let url = format!("file://{}", report.display());
    let profile = dir.path().join("profile");

    let (dom, log) = browse(&browser, &profile, &url, &["--dump-dom"]);
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console_errors.is_empty(), "console: {console_errors:#?}");
    assert!(
        dom.contains("<div id=\"errors\" hidden=\"\"></div>"),
        "the page reported an error: {}",
        &dom[dom.find("id=\"errors\"").unwrap_or(0)..][..400.min(dom.len())]
    );
    // The scatter comes first, as SVG.
    let scatter = dom
        .find("<figure id=\"tradeoff\"><svg")
        .expect("the scatter");
    assert!(scatter < dom.find("id=\"comparison\"").unwrap());
    // One row per contender, with what the JSON says.
    let rows = comparison_rows(&dom);
    assert_eq!(rows.len(), policies.len());
    for (row, p) in rows.iter().zip(policies) {
        assert_eq!(row[0], p["name"].as_str().unwrap());
        assert_eq!(row.len(), 17);
    }
    // Every chart was drawn: traffic, one small multiple per contender, latency and cost.
    let charts: usize = dom
        .split("data-charts=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("the page counts its charts");
    assert_eq!(charts, 3 + policies.len(), "{charts} charts");
    assert_eq!(dom.matches("class=\"uplot").count(), charts);
    // The timelines start at the trace's first interval (their axes are dates, drawn on canvas).
    let marker = "id=\"report-data\">";
    let data = &dom[dom.find(marker).expect("the data") + marker.len()..];
    let data: serde_json::Value =
        serde_json::from_str(&data[..data.find("</script>").unwrap()]).unwrap();
    assert_eq!(data["start"], 1_767_225_600, "2026-01-01T00:00:00Z");

    // #sort=1 opens the comparison sorted by cost, cheapest first; #sort=-1 dearest first.
    let (dom, _) = browse(
        &browser,
        &profile,
        &format!("{url}#sort=1"),
        &["--dump-dom"],
    );
    let costs: Vec<f64> = comparison_rows(&dom)
        .iter()
        .map(|r| r[1].parse().unwrap())
        .collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
    let cheapest = policies
        .iter()
        .map(|p| p["cost_usd"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!((costs[0] - cheapest).abs() < 0.01, "{costs:?}");
    let (dom, _) = browse(
        &browser,
        &profile,
        &format!("{url}#sort=-1"),
        &["--dump-dom"],
    );
    let costs: Vec<f64> = comparison_rows(&dom)
        .iter()
        .map(|r| r[1].parse().unwrap())
        .collect();
    assert!(costs.windows(2).all(|w| w[0] >= w[1]), "{costs:?}");

    // And it renders.
    let shot = dir.path().join("report.png");
    browse(
        &browser,
        &profile,
        &url,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 50_000,
        "{} bytes",
        png.len()
    );
}
