//! `POST /api/ready-works`: staff list a finished work with its file (multipart).

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa::ToSchema;

use crate::app::policy::Action;
use crate::app::shop::{NewReadyWork, ReadyWorkView};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};
use crate::http::orders::upload::file_part;

// The form as the document describes it; `create` reads it part by part.
/// A work to list: its fields as text parts, and one `file` part.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct ReadyWorkForm {
    #[schema(min_length = 1)]
    title: String,
    #[schema(min_length = 1)]
    subject: String,
    #[schema(min_length = 1, examples("essay"))]
    work_type: String,
    #[schema(minimum = 1, maximum = 1000)]
    pages: i64,
    /// Kopecks.
    #[schema(minimum = 1)]
    price: i64,
    #[schema(default = "")]
    description: Option<String>,
    /// The work; its name and content type are kept; never shown to the public.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// List a ready-made work
///
/// A manager or an admin puts a finished work on sale with its file.
#[utoipa::path(
    post,
    path = "/api/ready-works",
    tag = "shop",
    operation_id = "listReadyWork",
    extensions(("x-roles" = json!(roles(Action::ListReadyWork))), ("x-action" = json!(action(Action::ListReadyWork)))),
    request_body(content = inline(ReadyWorkForm), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "the work, on sale", body = ReadyWorkView),
        (status = 400, description = "not multipart/form-data, a part missing, or pages or price not a whole number"),
        (status = 413, description = "the file is larger than the upload limit"),
        (status = 415, description = "the file's content is not pdf, docx, doc, odt, rtf, txt or zip"),
        (status = 422, description = "an empty field or file, pages outside 1..1000, a price that is not positive"),
    ),
)]
pub(super) async fn create(
    State(app): State<App>,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<ReadyWorkView>), ApiError> {
    // Asked before the body is read: a refused caller's upload is never looked at.
    caller.may(Action::ListReadyWork)?;
    let mut multipart = multipart.map_err(|e| {
        ApiError::BadRequest(format!("expected multipart/form-data: {}", e.body_text()))
    })?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        crate::http::orders::upload::unreadable("unreadable multipart body", e)
    };
    let mut text = std::collections::HashMap::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("").to_string().as_str() {
            "file" => {
                file = Some(
                    file_part(field)
                        .await
                        .map_err(bad)?
                        .ok_or_else(|| ApiError::Unprocessable("the file is empty".into()))?,
                );
            }
            name @ ("title" | "subject" | "work_type" | "pages" | "price" | "description") => {
                let name = name.to_string();
                text.insert(name, field.text().await.map_err(bad)?);
            }
            _ => {}
        }
    }
    let mut take = |k: &str| -> Result<String, ApiError> {
        text.remove(k)
            .ok_or_else(|| ApiError::BadRequest(format!("the multipart body has no `{k}` part")))
    };
    let int = |k: &str, v: String| -> Result<i64, ApiError> {
        v.trim()
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("{k} must be a whole number")))
    };
    let new = NewReadyWork {
        title: take("title")?,
        subject: take("subject")?,
        work_type: take("work_type")?,
        pages: int("pages", take("pages")?)?,
        price: int("price", take("price")?)?,
        description: take("description").unwrap_or_default(),
        file: file
            .ok_or_else(|| ApiError::BadRequest("the multipart body has no `file` part".into()))?,
    };
    let work = app.list_ready_work(&caller.ctx(), new).await?;
    Ok((StatusCode::CREATED, Json(work)))
}
