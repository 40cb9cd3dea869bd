// An observed async fn is still an axum handler: extractors in, `IntoResponse` out, `Send`.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use octo_instrument::observed;

#[derive(Clone)]
struct AppState { prefix: &'static str }

#[observed(event = "ui.pass.axum_handler", fields(id = id))]
async fn get_task(State(state): State<AppState>, Path(id): Path<u32>) -> Result<String, (StatusCode, String)> {
    if id == 0 {
        return Err((StatusCode::NOT_FOUND, "no task 0".to_owned()));
    }
    Ok(format!("{}{id}", state.prefix))
}

fn main() {
    let _app: axum::Router = axum::Router::new()
        .route("/tasks/{id}", get(get_task))
        .with_state(AppState { prefix: "task " });
}
