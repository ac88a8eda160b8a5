//! `chartlens artists`: import, classification, explain, list, coverage, and
//! the derived `credits` table, on the fixtures in `tests/data/artists`.

use std::path::Path;

use crate::{ExpectCode, chartlens, data, scalar, sql};

/// A store with the fixture charts and every fixture list imported.
fn store_with_lists(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("artists/charts"))
        .expect_code(0);
    chartlens(&store)
        .args(["artists", "import"])
        .arg(data("artists/lists"))
        .expect_code(0);
    store
}

/// `name -> (origin, cohort)` from `artists list --format csv`.
fn cohorts(store: &Path, extra: &[&str]) -> std::collections::HashMap<String, (String, String)> {
    let out = chartlens(store)
        .args(["artists", "list", "--format", "csv"])
        .args(extra)
        .expect_code(0);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reader = csv_rows(&text);
    let header = reader.remove(0);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (n, o, c) = (col("name"), col("origin_country"), col("cohort"));
    reader
        .into_iter()
        .map(|row| (row[n].clone(), (row[o].clone(), row[c].clone())))
        .collect()
}

/// A minimal CSV reader for test output (quoted fields without newlines).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            let mut fields = vec![String::new()];
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' if quoted && chars.peek() == Some(&'"') => {
                        fields.last_mut().unwrap().push('"');
                        chars.next();
                    }
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(String::new()),
                    c => fields.last_mut().unwrap().push(c),
                }
            }
            fields
        })
        .collect()
}

#[test]
fn lists_are_read_by_header_and_evidence_decides_by_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_lists(dir.path());
    let all = cohorts(&store, &[]);
    let of = |name: &str| {
        let (origin, cohort) = all.get(name).unwrap_or_else(|| panic!("{name} not listed"));
        (origin.as_str(), cohort.as_str())
    };
    // Registry row, with a native-script alias.
    assert_eq!(of("Haneul Five"), ("KR", "K-pop"));
    // A US act that a genre table tags k-pop: the lists disagree, so it is
    // held back (in no cohort) until a registry row says which.
    assert_eq!(of("Nova Ray"), ("US", "none"));
    // Only a group list knows it.
    assert_eq!(of("Starlit"), ("", "K-pop"));
    // A Japanese member of a K-pop group, also in a genre table: the idol list counts.
    assert_eq!(of("Mina"), ("JP", "K-pop"));
    // Only an idol list knows this stage name: nothing is decided.
    assert_eq!(of("Joy"), ("", "none"));
    // Origin unknown, a Japanese genre tag.
    assert_eq!(of("Moonlit Drive"), ("", "J-pop"));
    assert_eq!(of("Kaze Band"), ("JP", "J-pop"));
    // The built-in registry is there too, and the filter works.
    assert_eq!(of("Kenshi Yonezu"), ("JP", "J-pop"));
    let kpop = cohorts(&store, &["--cohort", "k-pop"]);
    assert!(kpop.values().all(|(_, c)| c == "K-pop") && kpop.contains_key("BTS"));
    // The bucket of artists in no cohort is `none`, as in every command.
    let none = cohorts(&store, &["--cohort", "none"]);
    assert!(none.values().all(|(_, c)| c == "none") && none.contains_key("Joy"));
    chartlens(&store)
        .args(["artists", "list", "--cohort", "Polka"])
        .expect_code(1);
    // The unknown country is reported, not guessed.
    let facts = scalar(
        &store,
        "select count(*) from artist_facts where artist = 'Lumen'",
    );
    assert_eq!(
        facts, "1",
        "Lumen keeps its genre, not the country Atlantis"
    );
}

#[test]
fn credits_split_resolve_and_join_to_chart_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_lists(dir.path());
    let rows = sql(
        &store,
        "select e.region, c.position, c.credited_name, c.role, c.resolution, c.cohort \
         from chart_entries e join credits c using (artist_names, track_name) \
         where e.track_name in ('Moonrise (feat. Mina)', 'Wind', 'Sky Song', 'Nowhere') \
         order by e.region, e.rank, c.position",
    );
    assert_eq!(
        rows,
        "region,position,credited_name,role,resolution,cohort\n\
         JP,1,Sora Kisaki,lead,resolved,J-pop\n\
         JP,2,Mina,featured,resolved,K-pop\n\
         JP,1,KAZE BAND,lead,resolved,J-pop\n\
         JP,1,Stranger Things,lead,unknown,\n\
         JP,1,하늘파이브,lead,resolved,K-pop\n"
    );
}

#[test]
fn coverage_counts_entries_by_the_primary_artists_cohort() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_lists(dir.path());
    let out = chartlens(&store)
        .args(["artists", "coverage", "--format", "json"])
        .expect_code(0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let share = |cohort: &str| {
        json["overall"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["cohort"] == cohort)
            .map(|r| {
                (
                    r["entries"].as_i64().unwrap(),
                    r["entry_pct"].as_f64().unwrap(),
                )
            })
    };
    // 10 entries, all on one chart (spotify viral50): K-pop 4 (Haneul Five
    // twice, 하늘파이브, Starlit), J-pop 3, none 3 (Nova Ray, held back; Joy,
    // Stranger Things). Every row names its source and chart.
    assert_eq!(share("K-pop"), Some((4, 40.0)));
    assert_eq!(share("J-pop"), Some((3, 30.0)));
    assert_eq!(share("Anglo"), None);
    assert_eq!(share("none"), Some((3, 30.0)));
    assert!(
        json["overall"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["source"] == "spotify" && r["chart"] == "viral50")
    );
    let markets = json["markets"].as_array().unwrap();
    assert!(
        markets
            .iter()
            .any(|r| r["market"] == "KR" && r["cohort"] == "K-pop" && r["entry_pct"] == 100.0)
    );
    let names: Vec<&str> = json["none"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Joy", "Nova Ray", "Stranger Things"]);
    let reason = |name: &str| {
        json["none"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["reason"].as_str().unwrap().to_string())
    };
    assert_eq!(
        reason("Nova Ray").as_deref(),
        Some("held back: its lists disagree (artists explain)")
    );
    // CSV needs one view.
    chartlens(&store)
        .args(["artists", "coverage", "--format", "csv"])
        .expect_code(1);
    let out = chartlens(&store)
        .args([
            "artists", "coverage", "--format", "csv", "--view", "overall",
        ])
        .expect_code(0);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("source,chart,cohort,entries,entry_pct")
    );
}

#[test]
fn explain_shows_every_fact_with_its_line_and_the_deciding_rule() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_lists(dir.path());
    let out = chartlens(&store)
        .args(["artists", "explain", "하늘파이브", "--format", "json"])
        .expect_code(0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let artist = &json["artists"][0];
    assert_eq!(artist["name"], "Haneul Five");
    assert_eq!(artist["cohort"], "K-pop");
    let sources: Vec<&str> = artist["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert!(
        sources.iter().any(|s| s.ends_with("registry.csv:2")),
        "{sources:?}"
    );
    let decided: Vec<&serde_json::Value> = artist["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["decided"] == true)
        .collect();
    assert_eq!(decided.len(), 1);
    assert!(
        decided[0]["detail"]
            .as_str()
            .unwrap()
            .contains("registry.csv:2")
    );
    // Two chart entries as lead (JP, KR) plus the Hangul credit.
    assert_eq!(artist["chart_entries"]["lead"], 3);
    assert_eq!(artist["chart_entries"]["markets"], 2);

    // The text form names the stray tag and the rule it held back.
    let out = chartlens(&store)
        .args(["artists", "explain", "nova ray"])
        .expect_code(0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("k-pop boy group"), "{text}");
    assert!(
        text.contains("cohort:  none (rule 8 would place it in Anglo, but the evidence disagrees"),
        "{text}"
    );
    assert!(text.contains("country-genre.csv:2"), "{text}");

    // Two built-in artists answer to `lisa`: reported, not decided.
    let out = chartlens(&store)
        .args(["artists", "explain", "lisa", "--format", "json"])
        .expect_code(0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["resolution"], "ambiguous");
    assert_eq!(json["artists"].as_array().unwrap().len(), 2);
    chartlens(&store)
        .args(["artists", "explain", "Nobody At All"])
        .expect_code(1);
}

#[test]
fn reimport_adds_nothing_a_changed_file_replaces_and_bad_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_lists(dir.path());
    let count = || scalar(&store, "select count(*) from artist_facts");
    let before = count();
    let out = chartlens(&store)
        .args(["artists", "import"])
        .arg(data("artists/lists"))
        .expect_code(0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 unchanged"));
    assert_eq!(count(), before);

    // A list edited in place replaces what it said before.
    let list = dir.path().join("mine.csv");
    std::fs::write(&list, "name,country,genres,aliases\nJoy,KR,k-pop,\n").unwrap();
    chartlens(&store)
        .args(["artists", "import"])
        .arg(&list)
        .expect_code(0);
    assert_eq!(cohorts(&store, &[])["Joy"], ("KR".into(), "K-pop".into()));
    std::fs::write(&list, "name,country,genres,aliases\nJoy,GB,pop,\n").unwrap();
    let out = chartlens(&store)
        .args(["artists", "import"])
        .arg(&list)
        .expect_code(0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("replacing 2"));
    // Origin GB now: the registry row is the only other source, and it
    // does not tie Joy to K-pop, so the idol list's entry is held back and
    // the registry's origin decides.
    assert_eq!(cohorts(&store, &[])["Joy"], ("GB".into(), "Anglo".into()));
    assert_eq!(
        scalar(
            &store,
            "select count(*) from artist_facts where artist = 'Joy'"
        ),
        "6",
        "4 from the idol list (country, alias, group, list), 2 from the new file"
    );

    // Bad files: exit 3, a reason with a line, nothing stored, logged.
    let out = chartlens(&store)
        .args(["artists", "import"])
        .arg(data("artists/bad"))
        .expect_code(3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("page.csv: line 1: an HTML web page"), "{err}");
    assert!(
        err.contains("unknown.csv: line 1: unknown header `who,where`"),
        "{err}"
    );
    assert_eq!(
        scalar(
            &store,
            "select count(*) from ingest_log where status = 'rejected' and line = 1"
        ),
        "2"
    );
    let bad_registry = dir.path().join("bad-registry.csv");
    std::fs::write(
        &bad_registry,
        "name,country,genres,aliases\nA,KR,,\nB,Atlantis,,\n",
    )
    .unwrap();
    // An unknown country costs only itself (issue 14): a warning with the
    // file and line, and the list's other facts land.
    let out = chartlens(&store)
        .args(["artists", "import"])
        .arg(&bad_registry)
        .expect_code(0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad-registry.csv:3: `Atlantis`"));
    assert_eq!(
        scalar(
            &store,
            "select count(*) from artist_facts where artist in ('A', 'B')"
        ),
        "1",
        "A's country is kept, B's unknown one is not"
    );
}

#[test]
fn a_cohort_file_in_the_store_or_on_the_command_line_takes_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_lists(dir.path());
    let out = chartlens(&store)
        .args(["artists", "cohorts"])
        .expect_code(0);
    let builtin = String::from_utf8(out.stdout).unwrap();
    assert!(builtin.contains("[[rule]]"));
    // The user's own rule first: Joy is K-pop by name.
    let edited = builtin.replacen(
        "\n[[rule]]\n",
        "\n[[rule]]\ncohort = \"K-pop\"\nnames = [\"Joy\"]\nnote = \"checked by hand\"\n\n[[rule]]\n",
        1,
    );
    std::fs::write(store.join("cohorts.toml"), &edited).unwrap();
    assert_eq!(cohorts(&store, &[])["Joy"].1, "K-pop");
    // --cohort-rules wins over the store's file; a broken file names itself.
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[[rule]]\ncohort = \"Nope\"\norigin = [\"KR\"]\n").unwrap();
    let out = chartlens(&store)
        .arg("--cohort-rules")
        .arg(&broken)
        .args(["artists", "list"])
        .expect_code(1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.toml") && err.contains("cohort `Nope` is not defined"),
        "{err}"
    );
    // The same rules apply to `chartlens sql`.
    assert_eq!(
        scalar(&store, "select cohort from artists where name = 'Joy'"),
        "K-pop"
    );
}
