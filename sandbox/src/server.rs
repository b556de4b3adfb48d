//! The connection loop: accepts TCP connections and serves each with hyper
//! directly (so a fault can drop a connection without answering), stopping
//! gracefully when told to; and the wait for Ctrl-C / SIGTERM.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

use crate::http;
use crate::shared::Shared;

/// Serves `listener` until `stop` changes; open connections then finish their
/// current request.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let router = http::router(Arc::clone(&shared));
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => break,
            a = listener.accept() => a,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let kill_ext = http::ConnKill(Arc::clone(&kill));
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(kill_ext.clone());
                    let router = router.clone();
                    async move {
                        use tower::ServiceExt;
                        router.oneshot(req).await
                    }
                },
            );
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = kill.notified() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = kill.notified() => {}
                    }
                }
            }
        });
    }
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
#[cfg(unix)]
pub(crate) async fn wait_for_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
pub(crate) async fn wait_for_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
