//! `mock-idp healthcheck`: is a mock answering? For Docker's `HEALTHCHECK` (an image from
//! `scratch` has no curl), compose's `healthcheck:` and CI wait loops.
//!
//! It speaks just enough HTTP/1.1 over a blocking socket: no runtime, no client library, so
//! it starts in about a millisecond. By default it probes `127.0.0.1`, an address, so that no
//! name is looked up inside a static binary in an empty image. Until the deadline it retries,
//! so one call is a whole wait loop: `mock-idp healthcheck --timeout 30s`.
//!
//! Against a `--tls` mock (known from the same environment, or because the port does not
//! answer HTTP in clear) it speaks HTTPS through a blocking rustls client that does not
//! verify the certificate. It only asks whether a process on this port answers `/health`: it
//! sends no secret and trusts nothing it reads, and it must work as well for `--tls-cert`
//! certificates whose CA it cannot know (and with no trust store in an image from `scratch`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use clap::Args;

/// Where to probe and for how long.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The URL to GET [default: http://127.0.0.1:<port>/health, https:// when the mock
    /// would speak TLS].
    #[arg(long, conflicts_with_all = ["port", "host"])]
    pub url: Option<String>,
    /// The port to probe [default: the one `mock-idp` would bind with the same environment:
    /// MOCK_IDP_PORT, then the config's [server] port, then 4000].
    #[arg(long)]
    pub port: Option<u16>,
    /// The host to probe [default: 127.0.0.1, or the bind address if it is a specific one].
    #[arg(long)]
    pub host: Option<String>,
    /// Give up after this long (500ms, 2s, 1m); failures until then are retried.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// `500ms`, `2s`, `1m`, or a number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 500ms, 2s or 1m"))?;
    let secs = match unit {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        _ => return Err(format!("unknown unit {unit:?}: use ms, s or m")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{text:?}: {e}"))
}

/// The URL to probe: `--url`, or `/health` at `--host`/`--port`, or at the address the server
/// would bind (`bind`, from the same flags, environment and config as `mock-idp` itself), over
/// HTTPS if the server would speak `tls`.
pub fn target(args: &HealthcheckArgs, bind: Option<&str>, tls: bool) -> String {
    if let Some(url) = &args.url {
        return url.clone();
    }
    let (bind_host, bind_port) = bind
        .and_then(|addr| addr.rsplit_once(':'))
        .map(|(h, p)| (h.to_owned(), p.parse::<u16>().ok()))
        .unwrap_or_default();
    let host = args.host.clone().unwrap_or_else(|| {
        // A wildcard bind answers on loopback; a specific address only on itself.
        match bind_host.trim_start_matches('[').trim_end_matches(']') {
            "" | "0.0.0.0" | "localhost" => "127.0.0.1".to_owned(),
            "::" => "[::1]".to_owned(),
            _ => bind_host.clone(),
        }
    });
    let port = args.port.or(bind_port).unwrap_or(crate::cli::DEFAULT_PORT);
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{host}:{port}/health")
}

/// GETs `url` until it answers 200 or `timeout` has passed. `Ok` is what it answered.
pub fn probe(url: &str, timeout: Duration) -> Result<String, String> {
    let mut parsed = url::Url::parse(url).map_err(|e| format!("{url}: not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "{url}: only http:// and https:// URLs can be probed"
        ));
    }
    let deadline = Instant::now() + timeout;
    // What the server last answered, if it did: when a last attempt runs out of time, the
    // answer before it (a 503) says more than the timeout.
    let mut answered: Option<String> = None;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let error = match get(&parsed, remaining.max(Duration::from_millis(1))) {
            Ok(200) => return Ok(format!("{parsed} answered 200")),
            Ok(status) => {
                let answer = format!("{parsed} answered {status}");
                answered = Some(answer.clone());
                answer
            }
            // A port that does not speak HTTP in clear may speak TLS: a mock started with the
            // `--tls` flag, probed by an image's HEALTHCHECK that only sees the environment.
            Err(e) if parsed.scheme() == "http" && e.starts_with(NOT_HTTP) => {
                let _ = parsed.set_scheme("https");
                continue;
            }
            Err(e) => format!("{parsed}: {e}"),
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(format!(
                "{} (gave up after {:.1} s)",
                answered.unwrap_or(error),
                timeout.as_secs_f64()
            ));
        }
        // Polling a port that is not open yet: a short pause between attempts, bounded by the
        // deadline.
        std::thread::sleep(remaining.min(Duration::from_millis(50)));
    }
}

const NOT_HTTP: &str = "not an HTTP answer";

/// One `GET`, answered with its status code.
fn get(url: &url::Url, timeout: Duration) -> Result<u16, String> {
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::from((ip, port))],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::from((ip, port))],
        Some(url::Host::Domain(name)) => (name, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {name}: {e}"))?
            .collect(),
        None => return Err("no host".into()),
    };
    let addr = addrs.first().ok_or("the name has no address")?;
    let mut stream = TcpStream::connect_timeout(addr, timeout).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let authority = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: mock-idp-healthcheck\r\nConnection: close\r\n\r\n"
    );
    if url.scheme() == "https" {
        let host = url.host_str().unwrap_or_default();
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']'))
            .map_err(|e| format!("{host}: {e}"))?
            .to_owned();
        let connection = rustls::ClientConnection::new(Arc::new(liveness_only()?), name)
            .map_err(|e| e.to_string())?;
        return status(&mut rustls::StreamOwned::new(connection, stream), &request);
    }
    status(&mut stream, &request)
}

/// Sends `request` and reads the status code of the answer.
fn status(stream: &mut (impl Read + Write), request: &str) -> Result<u16, String> {
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    // The status line is all that matters; the first read holds it.
    let mut head = [0u8; 64];
    let mut len = 0;
    while len < head.len() {
        match stream.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => {
                len += n;
                if head[..len].contains(&b'\n') {
                    break;
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let line = String::from_utf8_lossy(&head[..len]);
    line.strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{NOT_HTTP}: {:?}", line.lines().next().unwrap_or("")))
}

/// A client configuration for the liveness probe: signatures checked, the certificate itself
/// not (see the module doc for why).
fn liveness_only() -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(
        rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(LivenessOnly(provider)))
            .with_no_client_auth(),
    )
}

#[derive(Debug)]
struct LivenessOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for LivenessOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_that_runs_out_of_time_reports_the_last_answer_not_the_timeout() {
        // Arrange: a server that answers 503 once, then accepts and never answers, as a
        // loaded server's last reply may come too late.
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/health", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for (i, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                if i == 0 {
                    let _ = stream.write_all(
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
                    );
                } else {
                    held.push(stream);
                }
            }
        });

        // Act
        let outcome = probe(&url, Duration::from_millis(300));

        // Assert
        let error = outcome.unwrap_err();
        assert!(error.contains("answered 503"), "{error}");
    }

    #[test]
    fn durations_take_ms_s_or_m() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn the_default_target_is_loopback_on_the_port_the_server_would_bind() {
        let args = |host: Option<&str>, port: Option<u16>| HealthcheckArgs {
            url: None,
            port,
            host: host.map(str::to_owned),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(
            target(&args(None, None), Some("0.0.0.0:4100"), false),
            "http://127.0.0.1:4100/health"
        );
        assert_eq!(
            target(&args(None, None), Some("[::]:4000"), false),
            "http://[::1]:4000/health"
        );
        assert_eq!(
            target(&args(None, None), Some("10.1.2.3:4000"), false),
            "http://10.1.2.3:4000/health"
        );
        assert_eq!(
            target(
                &args(Some("127.0.0.2"), Some(5000)),
                Some("0.0.0.0:4000"),
                false
            ),
            "http://127.0.0.2:5000/health"
        );
        assert_eq!(
            target(&args(None, None), None, false),
            "http://127.0.0.1:4000/health"
        );
        assert_eq!(
            target(&args(None, None), Some("127.0.0.1:4443"), true),
            "https://127.0.0.1:4443/health"
        );
    }
}
