//! Upsert on Word-style HTML bodies of 10 KB, 100 KB and 1 MB: inserting a new block, and
//! replacing one that sits in the middle. Goal: ≤ 5 ms at 1 MB, linear growth.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use cvi_core::{
    invite::{render, upsert, BodyKind, Lang},
    Coordinates, Provider, ProviderName, TenantKey, VideoId,
};

fn block(id: u32) -> cvi_core::Block {
    let p = Provider::new(
        ProviderName::Polycom,
        TenantKey::parse("813878896@t.plcm.vc").unwrap(),
    );
    render(
        &Coordinates::for_provider(&p, VideoId::from_body(id)),
        Lang::En,
    )
}

/// A Word-generated body of about `size` bytes; with `existing`, a block in the middle.
fn body(size: usize, existing: Option<&str>) -> String {
    let para = "<p class=MsoNormal><span style='font-size:11.0pt;font-family:\"Calibri\",sans-serif;color:#1F497D'>\
                Quarterly numbers &amp; hiring plan &#8212; see the attached deck.</span><o:p></o:p></p>\n";
    let mut s = String::from("<html><head><style>p.MsoNormal{margin:0cm}</style></head><body lang=EN-US><div class=WordSection1>\n");
    while s.len() < size / 2 {
        s.push_str(para);
    }
    if let Some(b) = existing {
        s.push_str(b);
    }
    while s.len() < size {
        s.push_str(para);
    }
    s.push_str("</div></body></html>");
    s
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("upsert");
    let new = block(987_654_321);
    let old = block(123_456_789);
    for (name, size) in [("10KB", 10_000), ("100KB", 100_000), ("1MB", 1_000_000)] {
        g.throughput(Throughput::Bytes(size as u64));
        let fresh = body(size, None);
        g.bench_with_input(BenchmarkId::new("insert", name), &fresh, |b, body| {
            b.iter(|| upsert(body, BodyKind::Html, &new))
        });
        let with_block = body(size, Some(&old.html));
        g.bench_with_input(BenchmarkId::new("replace", name), &with_block, |b, body| {
            b.iter(|| upsert(body, BodyKind::Html, &new))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
