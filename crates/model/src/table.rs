//! The table contract: names, types and meaning of every column that chartlens
//! stores. Other tools and later features query these names, so they change only
//! by adding columns. `chartlens tables` prints this text.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// One column of a stored table, with the sentence that documents it.
#[derive(Debug)]
pub struct Column {
    /// Column name, as queries spell it.
    pub name: &'static str,
    /// Arrow type of the column.
    pub data_type: DataType,
    /// Whether the column may hold nulls.
    pub nullable: bool,
    /// The sentence that documents the column.
    pub doc: &'static str,
}

/// A stored table and its columns, in order.
#[derive(Debug)]
pub struct Table {
    /// Table name, as queries spell it.
    pub name: &'static str,
    /// What one row of the table is.
    pub doc: &'static str,
    /// The columns, in schema order.
    pub columns: Vec<Column>,
}

impl Table {
    /// The Arrow schema the Parquet files of this table are written with.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(c.name, c.data_type.clone(), c.nullable))
            .collect();
        Arc::new(Schema::new(fields))
    }
}

fn col(name: &'static str, data_type: DataType, nullable: bool, doc: &'static str) -> Column {
    Column {
        name,
        data_type,
        nullable,
        doc,
    }
}

/// Name of the `chart_entries` table.
pub const CHART_ENTRIES: &str = "chart_entries";
/// Name of the `ingest_log` table.
pub const INGEST_LOG: &str = "ingest_log";
/// Name of the `artist_facts` table.
pub const ARTIST_FACTS: &str = "artist_facts";
/// Name of the derived `artists` table.
pub const ARTISTS: &str = "artists";
/// Name of the derived `credits` table.
pub const CREDITS: &str = "credits";
/// Name of the `playlist_snapshots` table.
pub const PLAYLIST_SNAPSHOTS: &str = "playlist_snapshots";
/// Name of the `video_snapshots` table.
pub const VIDEO_SNAPSHOTS: &str = "video_snapshots";
/// Name of the `track_markets` summary table.
pub const TRACK_MARKETS: &str = "track_markets";
/// Name of the `chart_periods` summary table.
pub const CHART_PERIODS: &str = "chart_periods";

/// `chart_entries`: one row per position of one published chart.
pub fn chart_entries() -> Table {
    use DataType::{Date32, Int32, Int64, Utf8};
    Table {
        name: CHART_ENTRIES,
        doc: "One row per chart position: which track held which rank in which market and period.",
        columns: vec![
            col(
                "source",
                Utf8,
                false,
                "Platform the chart comes from, e.g. `spotify`.",
            ),
            col(
                "chart",
                Utf8,
                false,
                "Chart name, e.g. `top200`, `viral50`.",
            ),
            col(
                "frequency",
                Utf8,
                true,
                "`daily` or `weekly` when the export or its path says so, else null.",
            ),
            col(
                "region",
                Utf8,
                false,
                "ISO 3166-1 alpha-2 market code in upper case, or `GLOBAL` for the worldwide chart.",
            ),
            col("period_start", Date32, false, "First day the chart covers."),
            col(
                "period_end",
                Date32,
                false,
                "Last day the chart covers; equal to `period_start` for a daily or single-date chart.",
            ),
            col("rank", Int32, false, "Position on the chart, 1 is the top."),
            col(
                "track_id",
                Utf8,
                true,
                "Platform track id (the 22-character Spotify id), null when the chart has none.",
            ),
            col(
                "track_name",
                Utf8,
                false,
                "Track title as printed on the chart.",
            ),
            col(
                "artist_names",
                Utf8,
                false,
                "Artists as credited on the chart, unsplit (e.g. `A, B` or `A & B`).",
            ),
            col(
                "streams",
                Int64,
                true,
                "Streams in the period, null when the chart has none.",
            ),
            col(
                "views",
                Int64,
                true,
                "Views in the period (video charts), null otherwise.",
            ),
            col(
                "source_file",
                Utf8,
                false,
                "Path of the file the row was read from.",
            ),
            col(
                "source_line",
                Int64,
                false,
                "Line of that file the row was read from (1-based).",
            ),
            col(
                "source_hash",
                Utf8,
                false,
                "BLAKE3 hash of the file's content; joins to `ingest_log.content_hash`.",
            ),
            col(
                "artist_ids",
                Utf8,
                true,
                "Platform ids of the credited artists, in credit order, separated by `,` (Spotify \
                 playlist snapshots); empty when the source gives none.",
            ),
            col(
                "flag",
                Utf8,
                true,
                "Why a kept row is incomplete, null for a complete one: `track-removed` when the \
                 chart lists the position (rank, streams) but no track id, title or artists (a \
                 track taken down since). Such rows count in their chart but not as a track.",
            ),
        ],
    }
}

/// `ingest_log`: one row per file seen by each ingest run.
pub fn ingest_log() -> Table {
    use DataType::{Int64, Timestamp, Utf8};
    Table {
        name: INGEST_LOG,
        doc: "One row per file seen by each ingest run, with what happened to it and why.",
        columns: vec![
            col(
                "run_id",
                Utf8,
                false,
                "Identifier of the ingest run (its start time).",
            ),
            col(
                "path",
                Utf8,
                false,
                "Path of the file as given or found by the walk.",
            ),
            col(
                "content_hash",
                Utf8,
                true,
                "BLAKE3 hash of the content, null when unreadable.",
            ),
            col(
                "layout",
                Utf8,
                true,
                "Detected layout, e.g. `spotify-legacy-viral`.",
            ),
            col(
                "status",
                Utf8,
                false,
                "`ingested`, `replaced` (ingested, superseding older rows of the same charts), \
                 `unchanged` (content already in the store) or `rejected`.",
            ),
            col(
                "reason",
                Utf8,
                true,
                "Why the file was rejected or skipped.",
            ),
            col(
                "line",
                Int64,
                true,
                "Line the rejection points at, when there is one.",
            ),
            col("rows", Int64, false, "Rows added to `chart_entries`."),
            col(
                "replaced_rows",
                Int64,
                false,
                "Older rows removed because this file superseded them.",
            ),
            col(
                "charts",
                Int64,
                false,
                "Distinct charts (chart, market, period) in the file.",
            ),
            col(
                "ingested_at",
                Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
                "When the file was processed.",
            ),
            col(
                "flagged_rows",
                Int64,
                true,
                "Rows of `rows` kept but flagged incomplete (`chart_entries.flag`); null in logs \
                 written before the column existed.",
            ),
        ],
    }
}

/// `artist_facts`: what imported artist lists say, one fact per row.
pub fn artist_facts() -> Table {
    use DataType::{Int64, Utf8};
    Table {
        name: ARTIST_FACTS,
        doc: "What imported artist lists say about artists, one fact per row, with the file and line \
              it came from. The built-in registry's facts are not stored; `artists` includes them.",
        columns: vec![
            col(
                "artist",
                Utf8,
                false,
                "The artist's name as the row gives it.",
            ),
            col(
                "kind",
                Utf8,
                false,
                "country, genre, alias, member_of, listed, feature (a Spotify audio feature as \
                 `name=value`) or platform_id (`spotify:<id>`, from a registry row's `ids`).",
            ),
            col(
                "value",
                Utf8,
                false,
                "ISO country code, lower-case genre tag, other name, group name, list kind \
                 (`k-pop idol`, `k-pop group`), feature or platform id.",
            ),
            col(
                "layout",
                Utf8,
                false,
                "Layout of the file: artist-registry, artist-country-genre, kpop-idols, kpop-groups \
                 or spotify-artist-genres.",
            ),
            col("source_file", Utf8, false, "Path of the file, as imported."),
            col("source_line", Int64, false, "Line of that file (1-based)."),
            col(
                "source_hash",
                Utf8,
                false,
                "BLAKE3 hash of the file's content; joins to `ingest_log.content_hash`.",
            ),
        ],
    }
}

/// `playlist_snapshots`: playlists that are not charts, as observed.
pub fn playlist_snapshots() -> Table {
    use DataType::{Date32, Int32, Int64, Utf8};
    Table {
        name: PLAYLIST_SNAPSHOTS,
        doc: "Playlists that are not charts (user and editorial playlists other than Top 50 / Viral 50), \
              one row per track per observation. Editorial chart playlists go to `chart_entries`.",
        columns: vec![
            col("source", Utf8, false, "Platform, e.g. `spotify`."),
            col("playlist_id", Utf8, true, "The platform's playlist id."),
            col(
                "playlist_name",
                Utf8,
                false,
                "The playlist's name when observed.",
            ),
            col(
                "snapshot_date",
                Date32,
                false,
                "Day of the observation (path or --period).",
            ),
            col(
                "position",
                Int32,
                false,
                "Position in the playlist, from 1.",
            ),
            col("track_id", Utf8, true, "Platform track id."),
            col("track_name", Utf8, false, "Track title."),
            col(
                "artist_names",
                Utf8,
                false,
                "Credited artists, joined with `, `.",
            ),
            col(
                "artist_ids",
                Utf8,
                true,
                "Their platform ids, `,`-separated, in the same order.",
            ),
            col(
                "source_file",
                Utf8,
                false,
                "Path of the file the row was read from.",
            ),
            col(
                "source_line",
                Int64,
                false,
                "Line the item starts on (1-based).",
            ),
            col(
                "source_hash",
                Utf8,
                false,
                "BLAKE3 hash of the file's content.",
            ),
        ],
    }
}

/// `artists`: derived when queried, from the built-in registry, `artist_facts`
/// and the cohort definitions in force.
pub fn artists() -> Table {
    use DataType::{Int64, Utf8};
    Table {
        name: ARTISTS,
        doc: "Derived when queried: one row per artist assembled from the built-in registry and \
              `artist_facts`, classified by the cohort rules in force (`chartlens artists cohorts`).",
        columns: vec![
            col(
                "artist_id",
                Int64,
                false,
                "Number of the artist in this derivation; joins to `credits.artist_id`. Not stable \
                 across imports: join on it, do not store it.",
            ),
            col(
                "name",
                Utf8,
                false,
                "Name shown: that of the best-ranked source.",
            ),
            col(
                "origin_country",
                Utf8,
                true,
                "ISO code of the origin, from the best-ranked country facts; empty when unknown or \
                 when those facts disagree.",
            ),
            col(
                "cohort",
                Utf8,
                true,
                "Cohort given by the first matching rule whose evidence agrees; empty when no rule \
                 places the artist.",
            ),
            col(
                "rule",
                Utf8,
                true,
                "The deciding rule: its number in the cohort file and its note.",
            ),
            col(
                "genres",
                Utf8,
                false,
                "Genre tags from every source, `;`-separated.",
            ),
            col(
                "names",
                Utf8,
                false,
                "Every spelling of the name, `;`-separated.",
            ),
            col(
                "groups",
                Utf8,
                false,
                "Groups the artist is a member of, `;`-separated.",
            ),
            col("facts", Int64, false, "Number of facts behind the artist."),
            col(
                "basis",
                Utf8,
                true,
                "What placed it: `rule` (a cohort rule names it), `registry` (a registry row), \
                 `lists` (third-party lists only); empty when in no cohort.",
            ),
            col(
                "held_back",
                Utf8,
                true,
                "When a rule matched but the lists disagree, the cohort it would have given and \
                 why it was not (`K-pop: genre ... is of another scene`); empty otherwise.",
            ),
        ],
    }
}

/// `credits`: derived when queried by splitting every distinct
/// (`artist_names`, `track_name`) pair of `chart_entries`.
pub fn credits() -> Table {
    use DataType::{Int32, Int64, Utf8};
    Table {
        name: CREDITS,
        doc: "Derived when queried: the artists credited on each distinct (artist_names, track_name) \
              of `chart_entries`, split on `, ` ` & ` ` x ` ` + ` and `feat.`, plus artists featured \
              in the title. Join with `USING (artist_names, track_name)`.",
        columns: vec![
            col("artist_names", Utf8, false, "As in `chart_entries`."),
            col("track_name", Utf8, false, "As in `chart_entries`."),
            col(
                "position",
                Int32,
                false,
                "Order of the credit, from 1; credit 1 is the primary artist.",
            ),
            col(
                "credited_name",
                Utf8,
                false,
                "The artist's name as credited.",
            ),
            col("role", Utf8, false, "lead or featured."),
            col(
                "artist_id",
                Int64,
                true,
                "The artist (`artists.artist_id`) the name resolves to; empty when unknown, \
                 ambiguous or unconfirmed.",
            ),
            col(
                "resolution",
                Utf8,
                false,
                "resolved, ambiguous (several artists answer to the name), unknown, or \
                 unconfirmed (cut from a longer credit such as `X & Y` whose other piece is \
                 unknown, and naming an artist only third-party lists place: the whole may be \
                 one act; or a one-word name matching, by case-folded key only, an artist whose \
                 placement rests on one list file).",
            ),
            col(
                "cohort",
                Utf8,
                true,
                "The resolved artist's cohort, as in `artists`.",
            ),
            col(
                "platform_id",
                Utf8,
                true,
                "The platform's id of this artist, when the chart gives ids (`chart_entries.artist_ids`).",
            ),
        ],
    }
}

/// Every stored table, in the order `chartlens tables` lists them.
pub fn all_tables() -> Vec<Table> {
    vec![
        chart_entries(),
        ingest_log(),
        artist_facts(),
        playlist_snapshots(),
        video_snapshots(),
    ]
}

/// `video_snapshots`: one row per video per observation.
pub fn video_snapshots() -> Table {
    use DataType::{Int32, Int64, Utf8};
    let time = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Table {
        name: VIDEO_SNAPSHOTS,
        doc: "Statistics of videos as observed: one row per video per observation (YouTube Data \
              API `videos.list` responses, TikTok Research API video queries). The same video \
              observed twice is two rows.",
        columns: vec![
            col("platform", Utf8, false, "`youtube` or `tiktok`."),
            col("video_id", Utf8, false, "The platform's video id."),
            col(
                "observed_at",
                time.clone(),
                false,
                "When the statistics were read: --observed, else the date or ISO week (its \
                 Monday) in the file name (or its folder's), else the file's modification time.",
            ),
            col(
                "published_at",
                time,
                true,
                "When the video was published (YouTube `publishedAt`, TikTok `create_time`).",
            ),
            col("title", Utf8, true, "Title or description."),
            col(
                "channel",
                Utf8,
                true,
                "YouTube `channelTitle` or TikTok `username`.",
            ),
            col("views", Int64, true, "View count; null when not given."),
            col(
                "likes",
                Int64,
                true,
                "Like count; null when hidden or not given (a hidden count is never stored as 0).",
            ),
            col(
                "comments",
                Int64,
                true,
                "Comment count; null when hidden or not given.",
            ),
            col(
                "shares",
                Int64,
                true,
                "Share count (TikTok); null where the platform does not give it (YouTube).",
            ),
            col(
                "duration_seconds",
                Int32,
                true,
                "Length of the video (YouTube `contentDetails.duration`, TikTok `duration`).",
            ),
            col("region", Utf8, true, "TikTok `region_code` (ISO code)."),
            col("music_id", Utf8, true, "TikTok `music_id`."),
            col(
                "hashtags",
                Utf8,
                true,
                "TikTok `hashtag_names`, `,`-separated.",
            ),
            col(
                "source_file",
                Utf8,
                false,
                "Path of the file the row came from.",
            ),
            col(
                "source_line",
                Int64,
                false,
                "Line of the video's object in that file.",
            ),
            col(
                "source_hash",
                Utf8,
                false,
                "BLAKE3 hash of that file's content.",
            ),
        ],
    }
}

/// `track_markets`: one row per credit line of a track in a market of a
/// chart, summarising its `chart_entries` rows; kept in step with them.
pub fn track_markets() -> Table {
    use DataType::{Boolean, Date32, Int32, Int64, Utf8};
    Table {
        name: TRACK_MARKETS,
        doc: "Kept in step with `chart_entries` (rebuilt by every ingest and compaction that \
              changes it): one row per source, chart, market, track and credit line, summarising \
              that line's entries. Metrics and the study read it instead of every entry.",
        columns: vec![
            col("source", Utf8, false, "As in `chart_entries`."),
            col("chart", Utf8, false, "As in `chart_entries`."),
            col(
                "region",
                Utf8,
                false,
                "As in `chart_entries` (`GLOBAL` included).",
            ),
            col(
                "track_key",
                Utf8,
                false,
                "The track: its `track_id`, or `artist_names - track_name` where the chart gives \
                 no id.",
            ),
            col("artist_names", Utf8, false, "As in `chart_entries`."),
            col("track_name", Utf8, false, "As in `chart_entries`."),
            col(
                "entries",
                Int64,
                false,
                "Rows of `chart_entries` of this line in this market.",
            ),
            col(
                "first_date",
                Date32,
                false,
                "Earliest `period_start` of those rows.",
            ),
            col(
                "last_date",
                Date32,
                false,
                "Latest `period_start` of those rows.",
            ),
            col(
                "best_rank",
                Int32,
                false,
                "Highest position (smallest rank) reached.",
            ),
            col(
                "streams",
                Int64,
                true,
                "Sum of those rows' `streams`, null when none of them has any.",
            ),
            col(
                "first_line",
                Boolean,
                false,
                "The first of the track's lines in this market (by `artist_names`, then \
                 `track_name`): count the rows that have it to count a track's markets.",
            ),
            col(
                "periods",
                Int32,
                false,
                "Of the track in this market (all its lines): distinct published periods it \
                 charted in.",
            ),
            col(
                "runs",
                Int32,
                false,
                "Of the track in this market: separate runs, a run being consecutive published \
                 periods of the market (a period the market has no chart for breaks nothing).",
            ),
            col(
                "first_run",
                Int32,
                false,
                "Of the track in this market: length of its first run, in periods.",
            ),
            col(
                "run_from_start",
                Boolean,
                false,
                "The first run starts on the market's first published period: it may have begun \
                 before the data (left-censored).",
            ),
            col(
                "run_open",
                Boolean,
                false,
                "The first run reaches the market's last published period: still running when \
                 the data ends (right-censored).",
            ),
        ],
    }
}

/// `chart_periods`: one row per published chart (source, chart, market,
/// period), from the source index.
pub fn chart_periods() -> Table {
    use DataType::{Date32, Int64, Utf8};
    Table {
        name: CHART_PERIODS,
        doc: "Kept in step with `chart_entries`: one row per published chart (source, chart, \
              market and period) the store holds, with its row count.",
        columns: vec![
            col("source", Utf8, false, "As in `chart_entries`."),
            col("chart", Utf8, false, "As in `chart_entries`."),
            col("region", Utf8, false, "As in `chart_entries`."),
            col("period_start", Date32, false, "As in `chart_entries`."),
            col("period_end", Date32, false, "As in `chart_entries`."),
            col(
                "entries",
                Int64,
                false,
                "Rows of `chart_entries` of this chart.",
            ),
        ],
    }
}

/// Tables kept in step with `chart_entries` by the writer: stored as Parquet,
/// rebuilt when the entries change, never read stale.
pub fn summary_tables() -> Vec<Table> {
    vec![track_markets(), chart_periods()]
}

/// Tables computed from the stored ones when a query reads them.
pub fn derived_tables() -> Vec<Table> {
    vec![artists(), credits()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_columns_are_present() {
        let schema = chart_entries().schema();
        for name in [
            "source",
            "chart",
            "region",
            "period_start",
            "period_end",
            "rank",
            "track_id",
            "track_name",
            "artist_names",
            "streams",
            "source_file",
            "source_line",
        ] {
            assert!(schema.field_with_name(name).is_ok(), "{name} missing");
        }
    }
}
