//! HTTP/2 and connection abuse against odoo-mesh: rapid reset (CVE-2023-44487), CONTINUATION
//! floods, huge header lists, streams past the concurrency limit, a client that never reads, TLS
//! handshakes that never finish (slowloris) and a thousand idle connections. Through each, another
//! client keeps calling and must be served, every call, with a bounded p99; the server's own memory
//! (the `demo` binary, a process of its own) stays bounded. Each case prints its figures
//! (`cargo test --test abuse -- --nocapture`); the cases run one at a time, so they measure alone.
//!
//! The abusive peers speak raw HTTP/2 frames over mutual TLS (the `h2` crate where a well-behaved
//! client suffices), so nothing in a client library softens what the server receives.

mod common;
#[path = "../benches/load/mod.rs"]
mod load;

use std::{
    path::Path,
    sync::LazyLock,
    time::{Duration, Instant},
};

use common::demo::Demo;
use odoo_mesh::proto::inventory::v1 as inv;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf},
    net::TcpStream,
    sync::{mpsc, watch},
};
use tokio_rustls::{TlsConnector, client::TlsStream};

/// The cases take turns: each measures latency and memory with the server to itself.
static ONE_AT_A_TIME: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

/// The p99 another client's calls must keep while the abuse goes on: far above a normal call (a
/// few milliseconds), far below what a caller would take for an outage.
const P99_BOUND: Duration = Duration::from_secs(1);
/// How much the server's resident memory may grow through one case.
const MEMORY_BOUND_KIB: u64 = 64 * 1024;

/// HTTP/2 frame types and flags (RFC 9113 §6) and error codes (§7).
mod frame {
    pub(crate) const DATA: u8 = 0x0;
    pub(crate) const HEADERS: u8 = 0x1;
    pub(crate) const RST_STREAM: u8 = 0x3;
    pub(crate) const SETTINGS: u8 = 0x4;
    pub(crate) const GOAWAY: u8 = 0x7;
    pub(crate) const CONTINUATION: u8 = 0x9;
    pub(crate) const END_STREAM: u8 = 0x1;
    pub(crate) const ACK: u8 = 0x1;
    pub(crate) const END_HEADERS: u8 = 0x4;
    pub(crate) const CANCEL: u32 = 0x8;
    pub(crate) const REFUSED_STREAM: u32 = 0x7;
    pub(crate) const ENHANCE_YOUR_CALM: u32 = 0xb;
    pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    /// One frame: the 9-byte header, then the payload.
    pub(crate) fn encode(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let length = u32::try_from(payload.len()).expect("a frame's length");
        let mut out = Vec::with_capacity(9 + payload.len());
        out.extend_from_slice(&length.to_be_bytes()[1..]);
        out.extend([kind, flags]);
        out.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
        out.extend_from_slice(payload);
        out
    }
}

/// Just enough HPACK (RFC 7541) to write a request: literal fields, never indexed, no Huffman.
mod hpack {
    fn integer(out: &mut Vec<u8>, prefix_bits: u8, first: u8, value: usize) {
        let max = (1usize << prefix_bits) - 1;
        if value < max {
            out.push(first | value as u8);
            return;
        }
        out.push(first | max as u8);
        let mut rest = value - max;
        while rest >= 128 {
            out.push((rest % 128) as u8 | 0x80);
            rest /= 128;
        }
        out.push(rest as u8);
    }

    /// A literal header field without indexing, with a literal name.
    pub(crate) fn literal(out: &mut Vec<u8>, name: &str, value: &[u8]) {
        out.push(0x00);
        integer(out, 7, 0, name.len());
        out.extend_from_slice(name.as_bytes());
        integer(out, 7, 0, value.len());
        out.extend_from_slice(value);
    }

    /// The header block of a gRPC call of `path`.
    pub(crate) fn grpc_request(path: &str) -> Vec<u8> {
        let mut block = Vec::new();
        for (name, value) in [
            (":method", "POST"),
            (":scheme", "https"),
            (":path", path),
            (":authority", "localhost"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ] {
            literal(&mut block, name, value.as_bytes());
        }
        block
    }
}

const LIST_WAREHOUSES: &str = "/odoomesh.inventory.v1.InventoryService/ListWarehouses";
const LIST_PRODUCTS: &str = "/odoomesh.inventory.v1.InventoryService/ListProducts";

/// A frame the server sent.
#[derive(Debug)]
struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

impl Frame {
    /// The error code of a RST_STREAM or GOAWAY.
    fn error_code(&self) -> Option<u32> {
        let at = match self.kind {
            frame::RST_STREAM => 0,
            frame::GOAWAY => 4,
            _ => return None,
        };
        self.payload.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// The client's TLS set-up: the demo's CA, client certificate and key, and ALPN `h2`.
fn tls_connector(certs: &Path) -> TlsConnector {
    let read = |file: &str| std::fs::read_to_string(certs.join(file)).expect("a certificate file of the demo");
    TlsConnector::from(load::client::mutual_tls(&read("ca.pem"), &read("client.pem"), &read("client.key")))
}

/// The server under abuse: its gRPC port and its process.
#[derive(Debug, Clone, Copy)]
struct Target {
    port: u16,
    pid: u32,
}

async fn tls_stream(target: Target, connector: &TlsConnector) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", target.port)).await.expect("connects");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("a name");
    connector.connect(name, tcp).await.expect("the tls handshake")
}

/// An HTTP/2 connection written frame by frame; the server's frames arrive on `frames`.
struct RawConnection {
    writer: WriteHalf<TlsStream<TcpStream>>,
    frames: mpsc::UnboundedReceiver<Frame>,
}

impl RawConnection {
    /// Connects, sends the preface and empty SETTINGS, and acknowledges the server's.
    async fn open(target: Target, connector: &TlsConnector) -> Self {
        let (reader, mut writer) = tokio::io::split(tls_stream(target, connector).await);
        let (tx, frames) = mpsc::unbounded_channel();
        tokio::spawn(read_frames(reader, tx));
        writer.write_all(frame::PREFACE).await.expect("the preface");
        writer.write_all(&frame::encode(frame::SETTINGS, 0, 0, &[])).await.expect("settings");
        let mut connection = Self { writer, frames };
        connection.until("the server's settings", |f| f.kind == frame::SETTINGS && f.flags & frame::ACK == 0).await;
        connection.send(&frame::encode(frame::SETTINGS, frame::ACK, 0, &[])).await.expect("settings ack");
        connection.until("the server's ack of ours", |f| f.kind == frame::SETTINGS && f.flags & frame::ACK != 0).await;
        connection
    }

    /// Writes, unless the server has closed the connection or stopped reading for 5 s.
    async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        match tokio::time::timeout(Duration::from_secs(5), self.writer.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(format!("closed: {error}")),
            Err(_) => Err("the server stopped reading".to_owned()),
        }
    }

    async fn until(&mut self, what: &str, wanted: impl Fn(&Frame) -> bool) -> Frame {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline.into(), self.frames.recv()).await {
                Ok(Some(frame)) if wanted(&frame) => return frame,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the connection closed before {what}"),
                Err(_) => panic!("no {what} within 10 s"),
            }
        }
    }

    /// The frames received so far.
    fn received(&mut self) -> Vec<Frame> {
        std::iter::from_fn(|| self.frames.try_recv().ok()).collect()
    }
}

async fn read_frames(mut reader: ReadHalf<TlsStream<TcpStream>>, frames: mpsc::UnboundedSender<Frame>) {
    let mut header = [0u8; 9];
    while reader.read_exact(&mut header).await.is_ok() {
        let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let mut payload = vec![0; length];
        if reader.read_exact(&mut payload).await.is_err() {
            return;
        }
        let stream = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff;
        if frames.send(Frame { kind: header[3], flags: header[4], stream, payload }).is_err() {
            return;
        }
    }
}

/// The resident memory of a process, in KiB.
fn resident_kib(pid: u32) -> u64 {
    load::memory::of(pid).resident
}

/// Another client, calling all along on a connection of its own: every call must succeed.
struct Bystander {
    stop: watch::Sender<bool>,
    calls: watch::Receiver<usize>,
    task: tokio::task::JoinHandle<Vec<Duration>>,
}

/// How many calls the bystander makes while an abuse holds, at least.
const CALLS_DURING_ABUSE: usize = 50;

impl Bystander {
    async fn start(demo: &Demo) -> Self {
        let certs = demo.certs();
        let tls = odoo_mesh_client::Tls::from_pem_files(
            certs.join("ca.pem"),
            certs.join("client.pem"),
            certs.join("client.key"),
        )
        .expect("the demo's certificates")
        .domain_name("localhost");
        let channel = odoo_mesh_client::connect(&format!("https://127.0.0.1:{}", demo.grpc_port()), &tls)
            .await
            .expect("the bystander connects");
        let mut client = inv::inventory_service_client::InventoryServiceClient::new(channel);
        let (stop, mut stopped) = watch::channel(false);
        let (count, calls) = watch::channel(0);
        let task = tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !*stopped.borrow_and_update() {
                let started = Instant::now();
                let mut request = tonic::Request::new(inv::ListWarehousesRequest::default());
                request.set_timeout(Duration::from_secs(10));
                client.list_warehouses(request).await.expect("the bystander is served");
                latencies.push(started.elapsed());
                count.send_replace(latencies.len());
            }
            latencies
        });
        Self { stop, calls, task }
    }

    /// Waits until `more` calls have been made from now (all of them, if one fails).
    async fn calls(&mut self, more: usize) {
        let target = *self.calls.borrow_and_update() + more;
        let _ = tokio::time::timeout(Duration::from_secs(60), self.calls.wait_for(|made| *made >= target)).await;
    }

    /// Stops calling; the p50 and p99 of its calls, after checking them.
    async fn finish(self, case: &str) -> (Duration, Duration) {
        let _ = self.stop.send(true);
        let mut latencies = self.task.await.expect("the bystander's calls all succeeded");
        assert!(latencies.len() >= CALLS_DURING_ABUSE, "{case}: the bystander made only {} calls", latencies.len());
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
        let (p50, p99) = (at(0.5), at(0.99));
        assert!(p99 <= P99_BOUND, "{case}: the bystander's p99 was {p99:?} (p50 {p50:?})");
        (p50, p99)
    }
}

/// What an abuse leaves open (its connections) while the bystander keeps calling.
type Held = Box<dyn std::any::Any + Send>;

/// A case's run: the demo on Odoo 19; the bystander calling through `abuse` and while what it
/// holds stays open; the server's memory before, while held, and once let go.
async fn case<F, Fut>(name: &str, abuse: F)
where
    F: FnOnce(Target, TlsConnector) -> Fut,
    Fut: Future<Output = (String, Held)>,
{
    let _turn = ONE_AT_A_TIME.lock().await;
    let demo = Demo::start(&format!("abuse-{}", name.replace([' ', ','], "-")), "19");
    let target = Target { port: demo.grpc_port(), pid: demo.pid() };
    let connector = tls_connector(&demo.certs());
    let mut bystander = Bystander::start(&demo).await;
    bystander.calls(5).await;
    let before = resident_kib(target.pid);
    let (figures, held) = abuse(target, connector).await;
    bystander.calls(CALLS_DURING_ABUSE).await;
    let during = resident_kib(target.pid);
    drop(held);
    bystander.calls(5).await;
    let (p50, p99) = bystander.finish(name).await;
    let after = resident_kib(target.pid);
    eprintln!(
        "abuse: {name}: {figures}; bystander p50 {p50:.1?}, p99 {p99:.1?}; server memory {before} KiB, {during} held, {after} let go"
    );
    let grown = during.max(after).saturating_sub(before);
    assert!(grown <= MEMORY_BOUND_KIB, "{name}: the server grew by {grown} KiB:\n{}", demo.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_reset_neither_stops_others_nor_grows_the_server() {
    case("rapid reset", |target, connector| async move {
        let mut connection = RawConnection::open(target, &connector).await;
        let block = hpack::grpc_request(LIST_WAREHOUSES);
        let (mut sent, mut ended) = (0u32, None);
        // Open a stream and cancel it at once, 20,000 times, in batches of 100.
        'abuse: for batch in 0..200u32 {
            let mut bytes = Vec::new();
            for i in 0..100 {
                let stream = 2 * (batch * 100 + i) + 1;
                bytes.extend(frame::encode(frame::HEADERS, frame::END_HEADERS, stream, &block));
                bytes.extend(frame::encode(frame::RST_STREAM, 0, stream, &frame::CANCEL.to_be_bytes()));
            }
            if let Err(why) = connection.send(&bytes).await {
                ended = Some(why);
                break 'abuse;
            }
            sent += 100;
        }
        let goaway = connection.received().into_iter().find(|f| f.kind == frame::GOAWAY);
        let figures = format!(
            "{sent} streams opened and reset; connection {}",
            match (goaway.and_then(|f| f.error_code()), ended) {
                (Some(code), _) => format!("ended by the server with GOAWAY code {code:#x}"),
                (None, Some(why)) => why,
                (None, None) => "kept".to_owned(),
            }
        );
        (figures, Box::new(connection) as Held)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continuation_flood_is_cut_off() {
    case("continuation flood", |target, connector| async move {
        let mut connection = RawConnection::open(target, &connector).await;
        connection
            .send(&frame::encode(frame::HEADERS, 0, 1, &hpack::grpc_request(LIST_WAREHOUSES)))
            .await
            .expect("the first headers");
        // CONTINUATION frames of 16 KiB, never ending the header block, up to 64 MiB.
        let mut field = Vec::new();
        hpack::literal(&mut field, "x-flood", &[b'a'; 16_000]);
        let continuation = frame::encode(frame::CONTINUATION, 0, 1, &field);
        let mut sent = 0usize;
        let outcome = loop {
            if sent >= 64 << 20 {
                break "all 64 MiB taken".to_owned();
            }
            if let Err(why) = connection.send(&continuation).await {
                break why;
            }
            sent += continuation.len();
        };
        assert!(sent < 64 << 20, "a header block that never ends must be cut off");
        (format!("cut off after {} KiB of CONTINUATION ({outcome})", sent / 1024), Box::new(connection) as Held)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_header_list_is_refused_without_harm() {
    case("huge header list", |target, connector| async move {
        let mut connection = RawConnection::open(target, &connector).await;
        // 1 MiB of metadata in 64 fields, split into CONTINUATION frames of 16 KiB.
        let mut block = hpack::grpc_request(LIST_WAREHOUSES);
        for i in 0..64 {
            hpack::literal(&mut block, &format!("x-big-{i}"), &[b'b'; 16 * 1024]);
        }
        let mut chunks = block.chunks(16 * 1024).peekable();
        let mut bytes = frame::encode(frame::HEADERS, frame::END_STREAM, 1, chunks.next().expect("a first chunk"));
        while let Some(chunk) = chunks.next() {
            let flags = if chunks.peek().is_none() { frame::END_HEADERS } else { 0 };
            bytes.extend(frame::encode(frame::CONTINUATION, flags, 1, chunk));
        }
        let sent = connection.send(&bytes).await;
        // Whatever the server answers (a refusal of the stream or of the connection), never the call.
        let answer = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match connection.frames.recv().await {
                    Some(f) if f.stream == 1 && f.kind == frame::RST_STREAM => {
                        break format!("RST_STREAM {:#x}", f.error_code().unwrap_or_default());
                    }
                    Some(f) if f.kind == frame::GOAWAY => {
                        break format!("GOAWAY {:#x}", f.error_code().unwrap_or_default());
                    }
                    Some(f) if f.stream == 1 && f.kind == frame::HEADERS => {
                        break format!("HEADERS of {} bytes", f.payload.len());
                    }
                    Some(f) if f.stream == 1 && f.kind == frame::DATA => panic!("the call was served: {f:?}"),
                    Some(_) => {}
                    None => break "connection closed".to_owned(),
                }
            }
        })
        .await
        .expect("the server answers the oversized header list");
        let figures =
            format!("1 MiB header list ({}) answered with {answer}", if sent.is_ok() { "sent" } else { "cut off" });
        (figures, Box::new(connection) as Held)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_past_the_limit_are_refused() {
    case("streams past the limit", |target, connector| async move {
        let mut connection = RawConnection::open(target, &connector).await;
        let block = hpack::grpc_request(LIST_WAREHOUSES);
        // 1,000 calls opened on one connection, none ending its request: each holds its stream.
        let opened = 1000u32;
        let mut bytes = Vec::new();
        for i in 0..opened {
            bytes.extend(frame::encode(frame::HEADERS, frame::END_HEADERS, 2 * i + 1, &block));
        }
        connection.send(&bytes).await.expect("the streams are sent");
        // Past the limit each is refused; a peer that keeps trying is sent away (ENHANCE_YOUR_CALM).
        let limit = 256;
        let mut refused = 0;
        let goaway = loop {
            let f = connection
                .until("a refusal of the streams past the limit", |f| {
                    f.kind == frame::RST_STREAM || f.kind == frame::GOAWAY
                })
                .await;
            match (f.kind, f.error_code()) {
                (frame::RST_STREAM, Some(frame::REFUSED_STREAM)) => refused += 1,
                (frame::GOAWAY, code) => break code,
                _ => {}
            }
            if refused == opened - limit {
                break None;
            }
        };
        assert!(
            refused == opened - limit || (refused >= 100 && goaway == Some(frame::ENHANCE_YOUR_CALM)),
            "{refused} refused, then GOAWAY {goaway:?}"
        );
        let figures = match goaway {
            Some(code) => format!("{opened} streams opened, {refused} refused (REFUSED_STREAM), then GOAWAY {code:#x}"),
            None => {
                format!("{opened} streams opened, the {refused} past the limit of {limit} refused (REFUSED_STREAM)")
            }
        };
        (figures, Box::new(connection) as Held)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_holds_no_more_than_its_streams() {
    case("never-reading client", |target, connector| async move {
        let tls = tls_stream(target, &connector).await;
        // A stream window of 0: the server may send headers, never a byte of a body.
        let (mut send, connection) =
            h2::client::Builder::new().initial_window_size(0).handshake::<_, bytes::Bytes>(tls).await.expect("h2");
        tokio::spawn(connection);
        let request = inv::ListProductsRequest { page_size: 1000, ..Default::default() };
        let body = load::client::Call::new(LIST_PRODUCTS, &request).frame;
        let mut responses = Vec::new();
        for _ in 0..200 {
            send = send.ready().await.expect("a stream");
            let (response, mut stream) = send.send_request(grpc_request(LIST_PRODUCTS), false).expect("sent");
            stream.send_data(body.clone(), true).expect("the request body");
            responses.push(response);
        }
        // Every call is answered (its headers: a window bounds only bodies), its pages unread.
        let mut unread = Vec::new();
        for response in responses {
            let response =
                tokio::time::timeout(Duration::from_secs(30), response).await.expect("answered").expect("h2");
            assert_eq!(response.status(), 200);
            unread.push(response);
        }
        let figures = format!("{} ListProducts pages of 1,000 answered and never read", unread.len());
        (figures, Box::new((send, unread)) as Held)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_handshakes_are_closed_and_hold_nobody_up() {
    case("slowloris TLS handshakes", |target, connector| async move {
        // 500 connections that start a TLS record and never finish it.
        let mut slow = Vec::new();
        for _ in 0..500 {
            let mut tcp = TcpStream::connect(("127.0.0.1", target.port)).await.expect("connects");
            tcp.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]).await.expect("a record header");
            slow.push(tcp);
        }
        let started = Instant::now();
        // Meanwhile a newcomer still gets through its handshake.
        let newcomer = tokio::time::timeout(Duration::from_secs(5), tls_stream(target, &connector)).await;
        let newcomer_took = started.elapsed();
        assert!(newcomer.is_ok(), "a new client's handshake waits behind the stalled ones");
        // The server closes each within its handshake timeout (10 s).
        for tcp in &mut slow {
            let mut byte = [0u8; 1];
            let read = tokio::time::timeout(Duration::from_secs(30), tcp.read(&mut byte)).await;
            assert!(matches!(read, Ok(Ok(0) | Err(_))), "a stalled handshake is closed: {read:?}");
        }
        let figures = format!(
            "500 stalled handshakes all closed by the server {:.1?} after the last began; a newcomer's handshake took {newcomer_took:.1?}",
            started.elapsed()
        );
        (figures, Box::new(slow) as Held)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_cost_little_each() {
    case("1,000 idle connections", |target, connector| async move {
        let before = resident_kib(target.pid);
        let mut idle = Vec::new();
        for _ in 0..1000 {
            let tls = tls_stream(target, &connector).await;
            let (send, connection) = h2::client::handshake(tls).await.expect("h2");
            let task = tokio::spawn(connection);
            idle.push((send.ready().await.expect("ready"), task));
        }
        let per_connection = resident_kib(target.pid).saturating_sub(before) / 1000;
        assert!(per_connection <= 64, "an idle connection costs the server {per_connection} KiB");
        let figures = format!("1,000 idle mutual-TLS HTTP/2 connections, {per_connection} KiB each on the server");
        (figures, Box::new(idle) as Held)
    })
    .await;
}

fn grpc_request(path: &str) -> http::Request<()> {
    http::Request::builder()
        .method("POST")
        .uri(format!("https://localhost{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("a request")
}
