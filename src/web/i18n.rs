//! The pages' two languages: Russian (the default) and English. A visitor's language is
//! `?lang=` when given (remembered in a cookie), else the logged-in user's own choice
//! (`PUT /api/me/language`, or the switch in a page's header), else the cookie, else
//! `Accept-Language`, else Russian.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ru,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    pub fn en(self) -> bool {
        self == Lang::En
    }

    /// The first language of an `Accept-Language` header this site speaks, by weight.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::parse(primary) {
                if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }
}

/// The words of the pages in one language: `tr.t("key")` in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn en(&self) -> bool {
        self.0.en()
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// The phrase named `key`; the key itself when there is none (a test checks every
    /// key the templates use is in [`WORDS`]).
    pub fn t(&self, key: &str) -> &'static str {
        match WORDS.iter().find(|(k, _, _)| *k == key) {
            Some((_, ru, en)) => {
                if self.en() {
                    en
                } else {
                    ru
                }
            }
            None => {
                tracing::warn!(key, "a page asked for a phrase that does not exist");
                "?"
            }
        }
    }

    /// Kopecks as roubles with kopecks.
    pub fn money<K: std::borrow::Borrow<i64>>(&self, kopecks: K) -> String {
        crate::mail::money(*kopecks.borrow(), self.en())
    }

    /// An optional amount; a dash when there is none.
    pub fn money_opt(&self, kopecks: &Option<i64>) -> String {
        kopecks.map_or_else(|| "—".to_string(), |k| self.money(k))
    }

    /// A status in words.
    pub fn status(&self, status: &str) -> &'static str {
        crate::mail::status_label(status, self.en())
    }

    /// A calendar date: `2 декабря 2026` / `2 December 2026`.
    pub fn date(&self, d: &NaiveDate) -> String {
        let m = d.month0() as usize;
        if self.en() {
            format!("{} {} {}", d.day(), MONTHS_EN[m], d.year())
        } else {
            format!("{} {} {}", d.day(), MONTHS_RU[m], d.year())
        }
    }

    /// A moment (UTC): the date and the time of day.
    pub fn at(&self, t: &DateTime<Utc>) -> String {
        format!(
            "{}, {:02}:{:02} UTC",
            self.date(&t.date_naive()),
            t.hour(),
            t.minute()
        )
    }

    /// An optional moment; a dash when there is none.
    pub fn at_opt(&self, t: &Option<DateTime<Utc>>) -> String {
        t.as_ref().map_or_else(|| "—".to_string(), |t| self.at(t))
    }

    /// A work type in words; one the site has no words for as it was typed.
    pub fn work_type(&self, code: &str) -> String {
        let key = format!("work_type.{code}");
        if WORDS.iter().any(|(k, _, _)| *k == key) {
            self.t(&key).to_string()
        } else {
            code.to_string()
        }
    }

    /// A role in words.
    pub fn role(&self, role: &str) -> &'static str {
        self.t(&format!("role.{role}"))
    }

    /// What an event of an order's stream means, in words.
    pub fn event(&self, event_type: &str) -> &'static str {
        let key = format!("event.{event_type}");
        if WORDS.iter().any(|(k, _, _)| *k == key) {
            self.t(&key)
        } else if self.en() {
            "Change"
        } else {
            "Изменение"
        }
    }
}

const MONTHS_RU: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Every phrase of the pages: key, Russian, English.
pub const WORDS: &[(&str, &str, &str)] = &[
    // The frame.
    ("site.name", "Скрипториум", "Scriptorium"),
    (
        "site.tagline",
        "Курсовые, дипломы, эссе — пишут авторы, проверяют менеджеры",
        "Term papers, theses, essays — written by authors, checked by managers",
    ),
    ("nav.home", "Главная", "Home"),
    ("nav.orders", "Заказы", "Orders"),
    ("nav.my_orders", "Мои заказы", "My orders"),
    ("nav.offers", "Предложения", "Offers"),
    ("nav.ledger", "Счёт", "Ledger"),
    ("nav.payouts", "Выплаты", "Payouts"),
    ("nav.audit", "Аудит", "Audit"),
    ("nav.admin", "Администрирование", "Admin"),
    ("nav.reports", "Отчёты", "Reports"),
    ("nav.login", "Войти", "Log in"),
    ("nav.register", "Регистрация", "Sign up"),
    ("nav.logout", "Выйти", "Log out"),
    ("nav.checkout", "Заказать", "Order"),
    ("nav.language", "English", "Русский"),
    ("error.title", "Не получилось", "That did not work"),
    ("error.back", "Вернуться", "Go back"),
    ("error.404", "Такой страницы нет.", "There is no such page."),
    (
        "error.403",
        "Это вам недоступно.",
        "You may not see or do this.",
    ),
    (
        "error.csrf",
        "Форма устарела или пришла не с нашего сайта. Откройте страницу заново.",
        "The form is stale or did not come from this site. Open the page again.",
    ),
    (
        "error.500",
        "У нас что-то сломалось; ничего не изменено.",
        "Something broke on our side; nothing was changed.",
    ),
    (
        "flash.session_ended",
        "Сеанс завершён. Войдите снова.",
        "Your session has ended. Please log in again.",
    ),
    ("flash.done", "Готово.", "Done."),
    // Home, log-in, sign-up, checkout.
    ("home.title", "Работы на заказ", "Works to order"),
    (
        "home.lead",
        "Опишите работу — менеджер назначит автора, вы платите двумя половинами: 50% вперёд, остальное после просмотра готовой наполовину работы.",
        "Describe the work — a manager assigns an author; you pay in two halves: 50% up front, the rest after seeing the work half-ready.",
    ),
    ("home.order_now", "Оформить заказ", "Place an order"),
    ("home.ready_works", "Готовые работы", "Ready-made works"),
    ("home.how", "Как это устроено", "How it works"),
    ("home.step1", "Вы описываете работу и срок.", "You describe the work and the deadline."),
    (
        "home.step2",
        "Менеджер назначает цену и автора.",
        "A manager sets the price and finds an author.",
    ),
    (
        "home.step3",
        "Вы платите половину и получаете черновик на 50%.",
        "You pay half and get the 50% draft.",
    ),
    (
        "home.step4",
        "Вы платите вторую половину и получаете работу.",
        "You pay the second half and get the work.",
    ),
    ("login.title", "Вход", "Log in"),
    ("login.submit", "Войти", "Log in"),
    ("login.no_account", "Нет учётной записи?", "No account yet?"),
    (
        "login.bad",
        "Неверный адрес или пароль.",
        "Wrong email or password.",
    ),
    (
        "login.blocked",
        "Учётная запись заблокирована.",
        "This account is blocked.",
    ),
    (
        "login.too_many",
        "Слишком много неудачных попыток входа: попробуйте позже",
        "Too many failed log-ins: try again later",
    ),
    ("login.forgot", "Забыли пароль?", "Forgot your password?"),
    ("reset.forgot_title", "Сброс пароля", "Reset the password"),
    (
        "reset.forgot_help",
        "Укажите адрес, с которым вы входите: мы отправим на него ссылку для нового пароля.",
        "Give the email you log in with: we will send it a link to set a new password.",
    ),
    ("reset.send", "Отправить ссылку", "Send the link"),
    (
        "reset.sent",
        "Если этот адрес принадлежит учётной записи, на него отправлена ссылка для нового пароля.",
        "If this email belongs to an account, a link to set a new password has been sent to it.",
    ),
    (
        "reset.too_many",
        "Слишком много запросов: попробуйте позже",
        "Too many requests: try again later",
    ),
    ("reset.title", "Новый пароль", "A new password"),
    ("reset.new_password", "Новый пароль", "New password"),
    ("reset.submit", "Сохранить пароль", "Save the password"),
    ("reset.ask_again", "Запросить новую ссылку", "Ask for a new link"),
    (
        "reset.bad_link",
        "Ссылка недействительна: она неизвестна, уже использована или устарела. Запросите новую.",
        "This link is not valid: unknown, already used or expired. Ask for a new one.",
    ),
    (
        "reset.done",
        "Пароль изменён: войдите с новым паролем.",
        "The password is set: log in with it.",
    ),
    ("register.title", "Регистрация", "Sign up"),
    ("register.submit", "Зарегистрироваться", "Sign up"),
    ("register.company", "Для компании", "For a company"),
    ("admin.company", "Компания", "Company"),
    ("admin.make_company", "Сделать компанией", "Make a company"),
    ("admin.make_individual", "Сделать частным лицом", "Make an individual"),
    ("admin.save_company", "Сохранить", "Save"),
    (
        "register.company_hint",
        "Заполните, если заказываете от имени организации или ИП; иначе оставьте пустым.",
        "Fill in if you order for an organisation or a sole trader; otherwise leave empty.",
    ),
    ("points.title", "Баллы", "Points"),
    ("points.balance", "Баланс", "Balance"),
    ("points.unit", "баллов (1 балл = 1 копейка)", "points (1 point = 1 kopeck)"),
    ("points.link", "Ваша ссылка для приглашения", "Your invitation link"),
    ("points.what", "Что", "What"),
    ("points.points", "Баллы", "Points"),
    ("points.cashback", "Кешбэк за заказ", "Cashback of an order"),
    ("points.referral", "За заказ приглашённого", "Of an invited client's order"),
    ("points.spent", "Оплата первой половины", "Paid a first half"),
    ("points.returned", "Возврат баллов (заказ сорван)", "Points back (the order failed)"),
    ("order.points", "Баллов", "Points"),
    ("order.points_hint", "Баллы оплачивают до всей первой половины (1 балл = 1 копейка).", "Points pay up to the whole first half (1 point = 1 kopeck)."),
    ("order.spend_points", "Оплатить баллами", "Pay with points"),
    ("register.referred", "Вы регистрируетесь по приглашению: пригласивший получит баллы с ваших заказов.", "You are signing up through an invitation: whoever invited you earns points on your orders."),
    ("checkout.title", "Новый заказ", "A new order"),
    (
        "checkout.guest",
        "Без регистрации: учётная запись будет создана, пароль придёт на почту.",
        "No sign-up needed: an account is created and its password emailed to you.",
    ),
    ("checkout.submit", "Отправить заказ", "Place the order"),
    ("checkout.contact", "Контакты", "Contact"),
    ("checkout.phone_title", "Заказ по телефону", "An order by phone"),
    ("checkout.phone_client", "Клиент", "The client"),
    (
        "checkout.phone_note",
        "Клиент найдётся по почте; если его нет, учётная запись будет создана, пароль придёт ему на почту.",
        "The client is found by email; a new one gets an account and their password by mail.",
    ),
    ("nav.phone_order", "Заказ по телефону", "Order by phone"),
    ("orders.source", "Источник", "Source"),
    ("orders.any_source", "Любой источник", "Any source"),
    ("source.site", "Сайт", "Site"),
    ("source.guest_checkout", "Без регистрации", "Guest checkout"),
    ("source.manager", "Менеджер (телефон)", "Manager (phone)"),
    ("order.repeat", "Повторить заказ", "Order it again"),
    ("order.edit", "Изменить заказ", "Edit the order"),
    ("order.save_edit", "Сохранить изменения", "Save the changes"),
    ("order.discount", "Дать скидку", "Give a discount"),
    ("order.new_price", "Новая цена, ₽", "New price, RUB"),
    ("order.propose_deadline", "Предложить новый срок", "Propose a new deadline"),
    ("order.deadline_proposed", "Менеджер предлагает новый срок сдачи:", "Your manager proposes a new deadline:"),
    ("order.accept_deadline", "Согласиться", "Accept"),
    ("order.decline_deadline", "Отказаться", "Decline"),
    ("event.OrderEdited", "Заказ изменён", "Order changed"),
    ("event.DiscountGiven", "Скидка", "Discount"),
    ("event.ExtraAdded", "Добавлена услуга", "Extra service added"),
    ("event.ExtraRemoved", "Убрана услуга", "Extra service removed"),
    ("order.extras", "Дополнительные услуги", "Extra services"),
    ("order.no_extras", "Нет дополнительных услуг", "No extra services"),
    ("order.add_extra", "Добавить услугу", "Add the service"),
    ("order.remove_extra", "Убрать", "Remove"),
    ("order.extras_note", "Цена услуги прибавляется к цене заказа; половины пересчитываются.", "The service's price is added to the order's; the halves follow."),
    ("event.PointsApplied", "Оплата баллами", "Paid with points"),
    ("order.left_to_pay", "осталось оплатить", "left to pay"),
    ("event.DeadlineProposed", "Предложен новый срок", "New deadline proposed"),
    ("event.DeadlineMoved", "Срок перенесён", "Deadline moved"),
    ("event.DeadlineProposalDeclined", "Новый срок отклонён", "New deadline declined"),
    ("order.repeats", "Повтор заказа", "Repeats order"),
    ("checkout.done", "Заказ оформлен, номер", "Your order is placed, number"),
    (
        "checkout.mail_sent",
        "Письмо со входом отправлено на",
        "A mail with how to log in went to",
    ),
    ("field.email", "Эл. почта", "Email"),
    ("field.password", "Пароль", "Password"),
    ("field.full_name", "Имя и фамилия", "Full name"),
    ("field.company_name", "Название компании", "Company name"),
    ("field.tax_id", "ИНН", "Tax id (INN)"),
    ("field.contact_person", "Контактное лицо", "Contact person"),
    ("field.work_type", "Тип работы", "Work type"),
    ("field.subject", "Предмет", "Subject"),
    ("field.topic", "Тема", "Topic"),
    ("field.pages", "Страниц", "Pages"),
    ("field.deadline", "Срок", "Deadline"),
    ("field.requirements", "Требования", "Requirements"),
    ("field.language", "Язык писем", "Language of mail"),
    ("field.reason", "Причина", "Reason"),
    ("field.comment", "Комментарий", "Comment"),
    ("field.rating", "Оценка", "Rating"),
    ("field.review", "Отзыв", "Review"),
    ("field.file", "Файл", "File"),
    ("field.price", "Цена, ₽", "Price, RUB"),
    ("field.author_fee", "Гонорар автора, ₽", "Author's fee, RUB"),
    ("field.amount", "Сумма, ₽", "Amount, RUB"),
    ("field.reference", "Номер платёжного поручения", "Payment reference"),
    ("field.role", "Роль", "Role"),
    ("work_type.essay", "Эссе", "Essay"),
    ("work_type.term_paper", "Курсовая", "Term paper"),
    ("work_type.thesis", "Дипломная", "Thesis"),
    ("work_type.report", "Реферат", "Report"),
    // Orders.
    ("orders.title", "Заказы", "Orders"),
    ("orders.mine", "Мои заказы", "My orders"),
    ("orders.none", "Заказов нет.", "No orders."),
    ("orders.number", "№", "No."),
    ("orders.status", "Статус", "Status"),
    ("orders.author", "Автор", "Author"),
    ("orders.price", "Цена", "Price"),
    ("orders.paid", "Оплачено", "Paid"),
    ("orders.due", "К оплате", "Due"),
    ("orders.problem", "Проблема", "Problem"),
    ("orders.filter", "Показать", "Show"),
    ("orders.any_status", "Любой статус", "Any status"),
    ("orders.search", "Номер или слово темы", "Number or a word of the topic"),
    ("orders.only_problems", "Только проблемные", "Problems only"),
    ("orders.unrouted", "Без менеджера", "Without a manager"),
    ("orders.sort", "Сортировка", "Sort"),
    ("orders.sort.number", "по номеру ↑", "by number ↑"),
    ("orders.sort.-number", "по номеру ↓", "by number ↓"),
    ("orders.sort.deadline", "по сроку ↑", "by deadline ↑"),
    ("orders.sort.-deadline", "по сроку ↓", "by deadline ↓"),
    ("orders.page", "Страница", "Page"),
    ("orders.of", "из", "of"),
    ("orders.prev", "← Назад", "← Previous"),
    ("orders.next", "Дальше →", "Next →"),
    ("orders.total", "Всего", "In all"),
    ("orders.new", "Новый заказ", "New order"),
    ("order.title", "Заказ №", "Order No. "),
    ("order.details", "Подробности", "Details"),
    ("order.timeline", "История", "Timeline"),
    ("order.files", "Файлы", "Files"),
    ("order.no_files", "Файлов пока нет.", "No files yet."),
    ("order.download", "Скачать", "Download"),
    ("order.file.draft", "Черновик (50%)", "Draft (50%)"),
    ("order.file.final", "Готовая работа", "Final work"),
    ("order.first_half", "Первая половина", "First half"),
    ("order.second_half", "Вторая половина", "Second half"),
    ("order.pay", "Оплатить", "Pay"),
    (
        "order.test_payment",
        "Платёжный провайдер не подключён: это тестовая оплата.",
        "No payment provider is configured: this is a test payment.",
    ),
    ("order.paid_in_full", "Оплачено полностью", "Paid in full"),
    ("order.revision", "Попросить доработку", "Ask for changes"),
    ("order.accept", "Принять и оценить", "Accept and rate"),
    ("order.cancel", "Отменить заказ", "Cancel the order"),
    ("order.guarantee_until", "Гарантия до", "Guarantee until"),
    ("order.manager", "Менеджер", "Manager"),
    ("order.offered_to", "Предложен автору", "Offered to"),
    ("order.offer_expires", "Предложение истекает", "The offer expires"),
    ("order.failure", "Причина срыва", "Why it failed"),
    ("order.your_rating", "Ваша оценка", "Your rating"),
    ("order.actions", "Действия", "Actions"),
    // The author's offers and works.
    ("offers.title", "Предложения", "Offers"),
    ("offers.none", "Новых предложений нет.", "No offers waiting."),
    ("offers.fee", "Гонорар", "Fee"),
    ("offers.expires", "Ответить до", "Answer by"),
    ("offers.take", "Беру", "Take it"),
    ("offers.decline", "Отказаться", "Decline"),
    ("offers.why", "Почему отказываетесь", "Why you decline"),
    ("offers.works", "Мои работы", "My works"),
    ("offers.no_works", "Работ в процессе нет.", "No works in progress."),
    ("offers.upload_draft", "Загрузить черновик (50%)", "Upload the draft (50%)"),
    ("offers.upload_final", "Загрузить готовую работу", "Upload the final work"),
    ("offers.waiting", "Ждём менеджера или клиента", "Waiting for the manager or the client"),
    ("offer.pending", "ждёт ответа", "waiting"),
    ("offer.accepted", "взял", "took it"),
    ("offer.declined", "отказался", "declined"),
    ("offer.expired", "не ответил вовремя", "let it expire"),
    ("event.OfferWithdrawn", "Предложение отозвано", "Offer withdrawn"),
    ("event.ManagerReleased", "Заказ ждёт менеджера", "Waiting for a manager"),
    ("offer.withdrawn", "отозвано", "withdrawn"),
    // The manager's forms on an order.
    ("order.upload", "Загрузить", "Upload"),
    ("order.set_price", "Назначить цену", "Set the price"),
    ("order.fee_default", "по умолчанию — доля из настроек", "empty: the settings' share"),
    ("order.candidates", "Кому предложить", "Whom to offer it"),
    ("order.no_candidates", "Подходящих свободных авторов нет.", "No eligible author is free."),
    ("order.chance", "Шанс", "Chance"),
    ("order.draw", "Выбрать случайно с учётом рейтинга", "Draw at random, weighted by rating"),
    ("order.offer", "Предложить", "Offer"),
    ("order.offers", "Предложения авторам", "Offers to authors"),
    ("order.review_draft", "Проверка черновика", "Review of the draft"),
    ("order.review_final", "Проверка готовой работы", "Review of the final work"),
    ("order.approve", "Одобрить и отправить клиенту", "Approve and send to the client"),
    ("order.reject", "Вернуть автору", "Send back to the author"),
    ("order.refund", "Вернуть деньги", "Refund"),
    ("order.compensation", "Компенсация автору, ₽", "Compensation to the author, RUB"),
    ("order.nothing_to_do", "Сейчас от вас ничего не требуется.", "Nothing for you to do now."),
    ("shift.on", "Вы на смене", "You are on shift"),
    ("shift.off", "Вы не на смене", "You are off shift"),
    ("shift.start", "Начать смену", "Start the shift"),
    ("shift.end", "Закончить смену", "End the shift"),
    // Money.
    ("ledger.title", "Счёт автора", "Author's ledger"),
    ("ledger.balance", "Баланс", "Balance"),
    ("ledger.none", "Записей пока нет.", "No entries yet."),
    ("ledger.at", "Когда", "When"),
    ("ledger.kind", "Что", "What"),
    ("ledger.what", "Основание", "For"),
    ("ledger.order", "заказ", "order"),
    ("ledger.credit", "Гонорар за заказ", "Fee for an order"),
    ("ledger.compensation", "Компенсация", "Compensation"),
    ("ledger.payout", "Выплата", "Payout"),
    ("payouts.title", "Выплаты авторам", "Payouts to authors"),
    ("payouts.threshold", "Выплачиваем от", "Paid out from"),
    ("payouts.due", "К выплате", "Due"),
    ("payouts.none_due", "Никому не пора выплачивать.", "Nobody is due a payout."),
    ("payouts.record", "Записать выплату", "Record the payout"),
    ("payouts.history", "Последние выплаты", "Latest payouts"),
    ("payouts.none_paid", "Выплат ещё не было.", "No payouts yet."),
    // Audit.
    ("audit.title", "Аудит", "Audit"),
    ("audit.order", "Номер или id заказа", "Order number or id"),
    ("audit.as_of", "Состояние на дату", "State as of"),
    ("audit.time", "Время (UTC)", "Time (UTC)"),
    ("audit.lead", "Введите номер заказа, чтобы увидеть всю его историю. Все заказы:", "Type an order's number to see its whole history. All orders:"),
    ("audit.no_order", "Такого заказа нет.", "There is no such order."),
    ("audit.bad_moment", "Дата — ГГГГ-ММ-ДД, время — ЧЧ:ММ.", "The date is YYYY-MM-DD, the time HH:MM."),
    ("audit.chain_ok", "Цепочка хешей цела, событий проверено", "The hash chain is intact; events checked"),
    ("audit.chain_broken", "Цепочка хешей нарушена", "The hash chain is broken"),
    ("audit.state_at", "Заказ по состоянию на", "The order as of"),
    ("audit.not_yet", "Заказа тогда ещё не было.", "The order did not exist yet."),
    ("audit.events", "События", "Events"),
    ("audit.event", "Событие", "Event"),
    ("audit.who", "Кто", "Who"),
    ("audit.data", "Данные и хеш", "Data and hash"),
    // Admin.
    ("admin.title", "Администрирование", "Administration"),
    ("admin.users", "Пользователи", "Users"),
    ("admin.authors", "Авторы", "Authors"),
    ("admin.settings", "Настройки", "Settings"),
    ("admin.new_staff", "Новый сотрудник", "A new staff member"),
    ("admin.create", "Создать", "Create"),
    ("admin.blocked", "заблокирован", "blocked"),
    ("admin.block", "Заблокировать", "Block"),
    ("admin.unblock", "Разблокировать", "Unblock"),
    ("admin.no_authors", "Авторов нет.", "No authors."),
    ("admin.active", "В работе / предел", "Active / limit"),
    ("admin.profile", "Профиль", "Profile"),
    ("admin.subjects", "Предметы (через запятую)", "Subjects (comma-separated)"),
    ("admin.limit", "Предел заказов", "Order limit"),
    ("admin.available", "Принимает заказы", "Takes orders"),
    ("admin.save", "Сохранить", "Save"),
    ("admin.settings_history", "История изменений", "History of changes"),
    ("admin.catalogue", "Каталог", "Catalogue"),
    ("admin.catalogue_note", "Типы работ, предметы и дополнительные услуги, которые можно указать в заказе. Убранная запись остаётся в уже сделанных заказах.", "The work types, subjects and extra services an order may name. A retired entry stays on the orders that have it."),
    ("admin.kind", "Раздел", "Kind"),
    ("admin.code", "Код", "Code"),
    ("admin.name", "Название", "Name"),
    ("admin.retire", "Убрать", "Retire"),
    ("admin.set_entry", "Добавить или изменить", "Add or change"),
    ("admin.price_extras_only", "Цена, ₽ (только для услуг)", "Price, RUB (extras only)"),
    ("admin.catalogue_history", "История каталога", "History of the catalogue"),
    ("catalogue.work_type", "Тип работы", "Work type"),
    ("catalogue.subject", "Предмет", "Subject"),
    ("catalogue.extra", "Дополнительная услуга", "Extra service"),
    ("catalogue.set", "Задано", "Set"),
    ("catalogue.retired", "Убрано", "Retired"),
    ("admin.setting", "Настройка", "Setting"),
    ("admin.old", "Было", "Was"),
    ("admin.new", "Стало", "Now"),
    ("settings.payout_threshold", "Порог выплаты", "Payout threshold"),
    ("settings.author_fee_percent", "Гонорар автора по умолчанию, % цены", "Default author fee, % of the price"),
    ("settings.guarantee_days", "Гарантийный срок, дней", "Guarantee period, days"),
    ("settings.offer_ttl_hours", "Срок ответа на предложение, часов", "Time to answer an offer, hours"),
    ("settings.cashback_percent", "Кешбэк клиенту, % оплаченного деньгами", "Client cashback, % of the money paid"),
    ("settings.referral_percent", "Доля пригласившего, % оплаченного деньгами", "Referrer's share, % of the money paid"),
    // Reports.
    ("reports.title", "Отчёты", "Reports"),
    ("reports.from", "С", "From"),
    ("reports.to", "По", "To"),
    ("reports.revenue", "Выручка", "Revenue"),
    ("reports.completed", "Завершено заказов", "Orders completed"),
    ("reports.average_check", "Средний чек", "Average check"),
    ("reports.by_client_kind", "Частные лица и компании", "Individuals and companies"),
    ("reports.individuals", "Частные лица", "Individuals"),
    ("orders.client_kind", "Клиент", "Client"),
    ("orders.any_client", "любой", "any"),
    ("orders.corporate", "компания", "company"),
    ("reports.companies", "Компании", "Companies"),
    ("reports.placed", "Новых заказов", "Orders placed"),
    ("reports.failed", "Сорвано", "Failed"),
    ("reports.refunds", "Возвраты", "Refunds"),
    ("reports.payouts", "Выплачено авторам", "Paid out to authors"),
    ("reports.owed", "Должны авторам", "Owed to authors"),
    ("reports.sla", "Нарушения сроков", "SLA breaches"),
    ("reports.points_issued", "Начислено баллов", "Points issued"),
    ("reports.points_spent", "Потрачено баллов", "Points spent"),
    ("reports.points_outstanding", "Баллов на счетах клиентов", "Points outstanding"),
    // Stage time limits.
    ("problem.stage", "Этап", "Stage"),
    ("problem.hours", "ч", "h"),
    ("problem.deadline", "Срок сдачи прошёл", "Past the deadline"),
    ("problem.label", "Проблема", "Problem"),
    ("event.ProblemFlagged", "Нарушен срок", "Time limit broken"),
    ("settings.stage_limits", "Предельное время этапов, часов (0 — без ограничения)", "Stage time limits, hours (0: no limit)"),
    ("settings.stage_limit_hours_new", "Лимит этапа «Новый», ч", "Limit of \"New\", h"),
    ("settings.stage_limit_hours_offered", "Лимит этапа «Предложен автору», ч", "Limit of \"Offered\", h"),
    ("settings.stage_limit_hours_awaiting_prepayment", "Лимит этапа «Ожидает предоплаты», ч", "Limit of \"Awaiting prepayment\", h"),
    ("settings.stage_limit_hours_in_progress", "Лимит этапа «В работе», ч", "Limit of \"In progress\", h"),
    ("settings.stage_limit_hours_draft_review", "Лимит этапа «Черновик на проверке», ч", "Limit of \"Draft review\", h"),
    ("settings.stage_limit_hours_half_ready", "Лимит этапа «Готов на 50%», ч", "Limit of \"50% ready\", h"),
    ("settings.stage_limit_hours_rework", "Лимит этапа «На доработке», ч", "Limit of \"Rework\", h"),
    ("settings.stage_limit_hours_final_review", "Лимит этапа «Работа на проверке», ч", "Limit of \"Final review\", h"),
    ("settings.stage_limit_hours_fully_ready", "Лимит этапа «Готов», ч", "Limit of \"Fully ready\", h"),
    ("reports.revenue_by_day", "Выручка по дням", "Revenue by day"),
    ("reports.by_status", "Заказы периода по статусам", "The period's orders by status"),
    ("reports.check_by_day", "Средний чек по дням", "Average check by day"),
    // Public reviews.
    ("home.reviews", "Отзывы клиентов", "What clients say"),
    ("home.average", "Средняя оценка", "Average rating"),
    ("home.reviews_count", "отзывов", "reviews"),
    ("home.no_reviews", "Отзывов пока нет.", "No reviews yet."),
    ("order.publish", "Опубликовать отзыв на сайте (без имени)", "Publish the review on the site (without your name)"),
    ("order.review_public", "Отзыв опубликован на сайте", "The review is on the site"),
    ("order.hide_review", "Скрыть отзыв", "Hide the review"),
    ("event.ReviewPublished", "Отзыв опубликован", "Review published"),
    ("event.ReviewHidden", "Отзыв скрыт", "Review hidden"),
    // Order conversations.
    ("msg.title", "Переписка", "Conversation"),
    ("msg.queue", "Сообщения ждут одобрения", "Messages awaiting approval"),
    ("msg.empty", "Сообщений пока нет.", "No messages yet."),
    ("msg.text", "Сообщение", "Message"),
    ("msg.send", "Отправить", "Send"),
    ("msg.rule", "Не указывайте контакты: сообщение с email, телефоном или ссылкой увидят только после одобрения менеджера.", "Please share no contacts: a message with an email, a phone number or a link is shown only once the manager approves it."),
    ("msg.you", "Вы", "You"),
    ("msg.held", "Ждёт одобрения менеджера", "Awaiting the manager's approval"),
    ("msg.rejected", "Отклонено", "Rejected"),
    ("msg.approve", "Одобрить", "Approve"),
    ("msg.reject", "Отклонить", "Reject"),
    ("msg.flash_held", "Сообщение отправлено менеджеру на проверку: похоже, в нём есть контакты.", "The message went to the manager for approval: it seems to carry a contact."),
    ("msg.held_for.email", "есть email", "an email"),
    ("msg.held_for.phone", "есть телефон", "a phone number"),
    ("msg.held_for.link", "есть ссылка", "a link"),
    ("msg.held_for.handle", "есть ник в мессенджере", "a messenger handle"),
    ("event.MessagePosted", "Сообщение", "Message"),
    ("event.MessageApproved", "Сообщение одобрено", "Message approved"),
    ("event.MessageRejected", "Сообщение отклонено", "Message rejected"),
    // The ready-made works shop.
    ("nav.purchases", "Мои покупки", "My purchases"),
    ("nav.shop", "Магазин", "Shop"),
    ("shop.search", "Поиск", "Search"),
    ("shop.any", "Любой", "Any"),
    ("shop.min_price", "Цена от, ₽", "Price from, RUB"),
    ("shop.max_price", "до, ₽", "to, RUB"),
    ("shop.find", "Найти", "Find"),
    ("shop.none", "Готовых работ не найдено.", "No ready-made works found."),
    ("shop.found", "Найдено", "Found"),
    ("shop.pages", "стр.", "pages"),
    ("shop.delisted", "Снята с продажи", "Off sale"),
    ("shop.on_sale", "В продаже", "On sale"),
    ("shop.buy", "Купить", "Buy"),
    ("shop.buy_lead", "Оплата целиком; после оплаты работа придёт на вашу почту.", "Paid in full; once paid, the work is emailed to you."),
    ("shop.guest_lead", "Без регистрации: укажите почту — мы создадим аккаунт и пришлём пароль; после оплаты работа придёт на почту.", "No sign-up needed: give your email, we create an account and mail its password; once paid, the work is emailed to you."),
    ("shop.bought", "Покупка оформлена", "Purchase made"),
    ("shop.sales", "Продано", "Sold"),
    ("shop.delist", "Снять с продажи", "Take off sale"),
    ("shop.title", "Магазин готовых работ", "Ready-made works shop"),
    ("shop.list", "Выставить работу", "List a work"),
    ("shop.work_title", "Название", "Title"),
    ("shop.price_rub", "Цена, ₽", "Price, RUB"),
    ("shop.description", "Описание", "Description"),
    ("shop.file", "Файл работы", "The work's file"),
    ("shop.list_submit", "Выставить", "List it"),
    ("shop.all", "Все работы", "Every work"),
    ("shop.work", "Работа", "Work"),
    ("shop.price", "Цена", "Price"),
    ("purchases.title", "Мои покупки", "My purchases"),
    ("purchases.none", "Покупок пока нет.", "No purchases yet."),
    ("purchases.made_at", "Оформлена", "Made"),
    ("purchases.download", "Скачать", "Download"),
    ("purchase.paid", "Оплачена", "Paid"),
    ("purchase.awaiting_payment", "Ожидает оплаты", "Awaiting payment"),
    // Roles.
    ("role.client", "Клиент", "Client"),
    ("role.author", "Автор", "Author"),
    ("role.manager", "Менеджер", "Manager"),
    ("role.payout_clerk", "Кассир выплат", "Payout clerk"),
    ("role.auditor", "Аудитор", "Auditor"),
    ("role.admin", "Администратор", "Admin"),
    ("role.system", "Система", "System"),
    // What each event of an order means.
    ("event.OrderPlaced", "Заказ оформлен", "Order placed"),
    ("event.RoutedToManager", "Передан менеджеру", "Passed to a manager"),
    ("event.PriceSet", "Назначена цена", "Price set"),
    ("event.AuthorOffered", "Предложен автору", "Offered to an author"),
    ("event.OfferAccepted", "Автор взял заказ", "An author took the order"),
    ("event.OfferDeclined", "Автор отказался", "An author declined"),
    ("event.OfferExpired", "Предложение истекло", "The offer expired"),
    ("event.PaymentReceived", "Получена оплата", "Payment received"),
    ("event.DraftSubmitted", "Загружен черновик", "Draft uploaded"),
    ("event.DraftApproved", "Черновик одобрен", "Draft approved"),
    ("event.DraftRejected", "Черновик возвращён автору", "Draft sent back to the author"),
    ("event.FinalSubmitted", "Загружена готовая работа", "Final work uploaded"),
    ("event.FinalApproved", "Работа одобрена", "Final work approved"),
    ("event.FinalRejected", "Работа возвращена автору", "Final work sent back to the author"),
    ("event.OrderDelivered", "Работа выдана", "Work delivered"),
    ("event.RevisionRequested", "Запрошена доработка", "Changes requested"),
    ("event.OrderCompleted", "Заказ завершён", "Order completed"),
    ("event.OrderFailed", "Заказ сорван", "Order failed"),
    ("event.RefundRecorded", "Возврат денег", "Refund"),
    ("event.CompensationGranted", "Компенсация автору", "Compensation to the author"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_heaviest_language_spoken_here() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("de;q=1, ru;q=0.5, en;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("ru-RU"), Some(Lang::Ru));
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(Lang::from_accept_language("en;q=0"), None);
    }

    #[test]
    fn dates_and_money_read_in_each_language() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(Tr(Lang::Ru).date(&d), "2 декабря 2026");
        assert_eq!(Tr(Lang::En).date(&d), "2 December 2026");
        assert_eq!(Tr(Lang::Ru).money(123_450), "1\u{a0}234,50\u{a0}₽");
        assert_eq!(Tr(Lang::En).money(123_450), "1,234.50 RUB");
    }

    #[test]
    fn every_phrase_has_one_key_and_both_languages() {
        let mut keys = std::collections::HashSet::new();
        for (k, ru, en) in WORDS {
            assert!(keys.insert(k), "{k} twice");
            assert!(!ru.is_empty() && !en.is_empty(), "{k}");
        }
    }

    /// Every `tr.t("…")` of the page templates names a phrase of [`WORDS`].
    #[test]
    fn every_phrase_a_template_asks_for_exists() {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/web"));
        let mut missing = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("templates/web") {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("tr.t(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                seen += 1;
                if !WORDS.iter().any(|(k, _, _)| *k == key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(
            seen > 50,
            "only {seen} phrases found: is the pattern right?"
        );
        assert!(missing.is_empty(), "phrases missing: {missing:?}");
    }
}
