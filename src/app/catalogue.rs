//! The catalogue services: what an order may be made of (`GET /api/catalogue`, anyone),
//! an admin's changes to it and their history; and the check every placement, edit and
//! listing makes of its work type and subject (decision 025).

use aggregates::catalogue::{Catalogue, CatalogueCommand, CatalogueEntry, EntryKind};
use aggregates::Actor;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action};
use super::{App, AppError, Ctx};

/// A work type or a subject in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CatalogueItem {
    /// What an order names for a work type; a subject's own key.
    #[schema(examples("term_paper"))]
    pub code: String,
    /// How it reads; what an order names for a subject (matched whatever its case).
    pub name: String,
}

/// An extra in force, with its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CatalogueExtra {
    #[schema(examples("urgent"))]
    pub code: String,
    pub name: String,
    /// Kopecks: what an order's price grows by when the extra is added now.
    #[schema(minimum = 1)]
    pub price: i64,
}

/// The catalogue in force: what an order may be made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Catalogue)]
pub struct CatalogueView {
    pub work_types: Vec<CatalogueItem>,
    pub subjects: Vec<CatalogueItem>,
    pub extras: Vec<CatalogueExtra>,
}

impl CatalogueView {
    pub fn of(c: &Catalogue) -> CatalogueView {
        let items = |kind| {
            c.active(kind)
                .map(|e: &CatalogueEntry| CatalogueItem {
                    code: e.code.clone(),
                    name: e.name.clone(),
                })
                .collect()
        };
        CatalogueView {
            work_types: items(EntryKind::WorkType),
            subjects: items(EntryKind::Subject),
            extras: c
                .active(EntryKind::Extra)
                .map(|e| CatalogueExtra {
                    code: e.code.clone(),
                    name: e.name.clone(),
                    price: e.price.unwrap_or(0),
                })
                .collect(),
        }
    }
}

/// One change of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CatalogueChange)]
pub struct CatalogueChangeView {
    /// When (RFC 3339).
    pub at: String,
    /// `work_type`, `subject` or `extra`.
    #[schema(examples("extra"))]
    pub kind: String,
    pub code: String,
    /// `set` (added, changed or brought back) or `retired`.
    #[schema(examples("set"))]
    pub action: String,
    /// The name before (null: a new entry).
    #[schema(required = true)]
    pub old_name: Option<String>,
    /// An extra's price before, kopecks (null: a new entry, or not an extra).
    #[schema(required = true)]
    pub old_price: Option<i64>,
    /// The name after (a retired entry's last).
    pub name: String,
    /// An extra's price after, kopecks.
    #[schema(required = true)]
    pub price: Option<i64>,
    /// The admin who changed it.
    #[schema(required = true)]
    pub changed_by: Option<Uuid>,
}

/// The kind a path names (`work-types`, `subjects`, `extras`).
pub fn kind_of_path(s: &str) -> Option<EntryKind> {
    Some(match s {
        "work-types" => EntryKind::WorkType,
        "subjects" => EntryKind::Subject,
        "extras" => EntryKind::Extra,
        _ => return None,
    })
}

impl App {
    /// The catalogue in force: the seeded defaults with every change an admin made, from
    /// the table (which a change is in before it is answered: [`App::change_catalogue`]).
    pub async fn catalogue(&self) -> Result<Catalogue, AppError> {
        Ok(Catalogue::with(
            projections::catalogue::changed_entries(&self.db).await?,
        ))
    }

    /// The catalogue in force (anyone, without a token).
    pub async fn show_catalogue(&self) -> Result<CatalogueView, AppError> {
        Ok(CatalogueView::of(&self.catalogue().await?))
    }

    /// An admin adds an entry, changes its name or price, or brings a retired one back.
    pub async fn set_catalogue_entry(
        &self,
        ctx: &Ctx,
        kind: EntryKind,
        code: &str,
        name: String,
        price: Option<i64>,
    ) -> Result<CatalogueView, AppError> {
        policy::authorize(&ctx.actor, Action::ManageCatalogue)?;
        let cmd = CatalogueCommand::SetEntry {
            kind,
            code: code.to_string(),
            name,
            price,
            at: self.clock.now(),
        };
        self.change_catalogue(cmd, ctx).await?;
        self.show_catalogue().await
    }

    /// An admin retires an entry: new orders may no longer name it (404 for one not in
    /// force).
    pub async fn retire_catalogue_entry(
        &self,
        ctx: &Ctx,
        kind: EntryKind,
        code: &str,
    ) -> Result<CatalogueView, AppError> {
        policy::authorize(&ctx.actor, Action::ManageCatalogue)?;
        let cmd = CatalogueCommand::RetireEntry {
            kind,
            code: code.to_string(),
            at: self.clock.now(),
        };
        self.change_catalogue(cmd, ctx).await?;
        self.show_catalogue().await
    }

    /// Every change of the catalogue, oldest first (admin, auditor).
    pub async fn catalogue_history(
        &self,
        actor: &Actor,
    ) -> Result<Vec<CatalogueChangeView>, AppError> {
        policy::authorize(actor, Action::ReadCatalogueHistory)?;
        let rows = projections::catalogue::history(&self.db).await?;
        Ok(rows
            .into_iter()
            .map(|r| CatalogueChangeView {
                at: r.at,
                kind: r.kind,
                code: r.code,
                action: r.action,
                old_name: r.old_name,
                old_price: r.old_price,
                name: r.name,
                price: r.price,
                changed_by: r.changed_by,
            })
            .collect())
    }

    /// 422 unless the work type (by code) and the subject (by name, whatever its case)
    /// given are in the catalogue in force; `None` is not checked.
    pub(crate) async fn check_in_catalogue(
        &self,
        work_type: Option<&str>,
        subject: Option<&str>,
    ) -> Result<(), AppError> {
        if work_type.is_none() && subject.is_none() {
            return Ok(());
        }
        let c = self.catalogue().await?;
        let known = |kind| {
            c.active(kind)
                .map(|e| match kind {
                    EntryKind::WorkType => e.code.clone(),
                    _ => e.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(w) = work_type.filter(|w| !w.trim().is_empty()) {
            if c.work_type(w).is_none() {
                return Err(AppError::Invalid(format!(
                    "work_type {:?} is not in the catalogue (one of: {})",
                    w.trim(),
                    known(EntryKind::WorkType)
                )));
            }
        }
        if let Some(s) = subject.filter(|s| !s.trim().is_empty()) {
            if c.subject(s).is_none() {
                return Err(AppError::Invalid(format!(
                    "subject {:?} is not in the catalogue (one of: {})",
                    s.trim(),
                    known(EntryKind::Subject)
                )));
            }
        }
        Ok(())
    }
}
