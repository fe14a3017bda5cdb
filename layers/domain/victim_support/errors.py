"""Stable error codes with their Japanese and English messages.

Every error the system reports (API errors, whole-file upload failures, rejected rows, warnings)
carries one of these codes. Codes never change meaning once published; add new ones instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    FILE = "file"  # the whole upload fails, nothing stored changes
    ROW = "row"  # the row is rejected, the other rows go on
    WARNING = "warning"  # the row is stored, the finding is reported
    API = "api"  # a request is refused


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: str
    severity: Severity
    ja: str
    en: str
    http_status: int = 400


_SPECS = [
    # Whole-file failures
    ErrorSpec("FILE_EMPTY", Severity.FILE, "ファイルが空です", "The file is empty"),
    ErrorSpec("FILE_NOT_CSV", Severity.FILE, "CSV形式ではありません", "The file is not CSV"),
    ErrorSpec("FILE_ENCODING_UNKNOWN", Severity.FILE, "文字コードを判別できません（CP932またはUTF-8のみ）",
              "Unknown encoding (only CP932 and UTF-8 are accepted)"),
    ErrorSpec("FILE_MISSING_COLUMNS", Severity.FILE, "必須の列がありません", "Required columns are missing"),
    ErrorSpec("FILE_SIZE_MISMATCH", Severity.FILE, "ファイルサイズが申告と一致しません",
              "The file size does not match the declared size"),
    ErrorSpec("FILE_CHECKSUM_MISMATCH", Severity.FILE, "SHA-256が申告と一致しません",
              "The SHA-256 checksum does not match the declared one"),
    ErrorSpec("FILE_DUPLICATE_PERSON_ID", Severity.FILE, "全件ファイル内で宛名番号が重複しています",
              "Duplicate person ids in a full file"),
    ErrorSpec("FILE_WRONG_MUNICIPALITY", Severity.FILE, "格納先の団体コードがアップロードと一致しません",
              "The object key belongs to another municipality"),
    ErrorSpec("FILE_TOO_LARGE", Severity.FILE, "ファイルが大きすぎます", "The file is too large"),
    ErrorSpec("FILE_UNREADABLE", Severity.FILE, "ファイルを読み取れません", "The file cannot be read"),
    # Rejected rows
    ErrorSpec("ROW_COLUMN_COUNT", Severity.ROW, "列数がヘッダーと一致しません",
              "The number of fields differs from the header"),
    ErrorSpec("ROW_REQUIRED", Severity.ROW, "必須項目が空です", "A required field is empty"),
    ErrorSpec("ROW_PERSON_ID", Severity.ROW, "宛名番号は1〜15桁の数字です", "person_id must be 1-15 digits"),
    ErrorSpec("ROW_HOUSEHOLD_ID", Severity.ROW, "世帯番号は1〜15桁の数字です",
              "household_id must be 1-15 digits"),
    ErrorSpec("ROW_NAME", Severity.ROW, "氏名は姓と名を空白で区切ってください",
              "name must be surname and given name separated by a space"),
    ErrorSpec("ROW_NAME_KANA", Severity.ROW, "氏名カナはカタカナで入力してください",
              "name_kana must be katakana"),
    ErrorSpec("ROW_BIRTH_DATE", Severity.ROW, "生年月日の形式が正しくありません", "birth_date is not a valid date"),
    ErrorSpec("ROW_SEX", Severity.ROW, "性別は1/2/9（男/女）で入力してください", "sex must be 1, 2 or 9 (M/F)"),
    ErrorSpec("ROW_RELATIONSHIP", Severity.ROW, "続柄が正しくありません", "relationship is not valid"),
    ErrorSpec("ROW_POSTAL_CODE", Severity.ROW, "郵便番号は7桁です", "postal_code must be 7 digits"),
    ErrorSpec("ROW_POSTAL_CODE_UNKNOWN", Severity.ROW, "存在しない郵便番号です", "postal_code does not exist"),
    ErrorSpec("ROW_POSTAL_CODE_MUNICIPALITY", Severity.ROW, "郵便番号が当団体の区域外です",
              "postal_code belongs to another municipality"),
    ErrorSpec("ROW_ADDRESS", Severity.ROW, "住所が正しくありません", "address is not valid"),
    ErrorSpec("ROW_PHONE", Severity.ROW, "電話番号は数字とハイフンで入力してください",
              "phone must be digits and hyphens"),
    ErrorSpec("ROW_CARE_NEEDS", Severity.ROW, "要配慮者区分が正しくありません", "care_needs has an unknown value"),
    ErrorSpec("ROW_PROTECTED", Severity.ROW, "支援措置は1/有または空欄です", "protected must be 1/有 or empty"),
    ErrorSpec("ROW_CHANGE_TYPE", Severity.ROW, "異動区分は追加・更新・削除のいずれかです",
              "change_type must be 追加, 更新 or 削除"),
    ErrorSpec("ROW_CHANGE_DATE", Severity.ROW, "異動日の形式が正しくありません", "change_date is not a valid date"),
    ErrorSpec("ROW_UNKNOWN_PERSON", Severity.ROW, "更新・削除の対象者が登録されていません",
              "The person to update or remove is not registered"),
    ErrorSpec("ROW_PERSON_EXISTS", Severity.ROW, "追加の対象者は既に登録されています",
              "The person to add is already registered"),
    # Warnings (row stored)
    ErrorSpec("WARN_GAIJI", Severity.WARNING, "外字（私用領域の文字）が含まれています",
              "Contains private-use (外字) characters"),
    ErrorSpec("WARN_UNKNOWN_COLUMN", Severity.WARNING, "不明な列は無視されました", "Unknown column ignored"),
    # API errors
    ErrorSpec("VALIDATION_ERROR", Severity.API, "入力が正しくありません", "The request is not valid", 422),
    ErrorSpec("UNAUTHORIZED", Severity.API, "認証されていません", "Not authenticated", 401),
    ErrorSpec("FORBIDDEN", Severity.API, "権限がありません", "Not allowed", 403),
    ErrorSpec("NOT_FOUND", Severity.API, "見つかりません", "Not found", 404),
    ErrorSpec("UPLOAD_NOT_FOUND", Severity.API, "アップロードが見つかりません", "Upload not found", 404),
    ErrorSpec("MUNICIPALITY_CODE_INVALID", Severity.API, "団体コードが正しくありません（検査数字不一致）",
              "Invalid municipality code (check digit)", 422),
    ErrorSpec("MUNICIPALITY_UNKNOWN", Severity.API, "団体コードに該当する市区町村がありません",
              "No municipality has this code", 422),
    ErrorSpec("MUNICIPALITY_NOT_REGISTERED", Severity.API, "団体が登録されていません",
              "The municipality is not registered", 404),
    ErrorSpec("UPLOAD_TOO_LARGE", Severity.API, "ファイルが上限を超えています", "The file exceeds the limit", 413),
    ErrorSpec("CONFLICT", Severity.API, "他の処理と競合しました", "Conflicts with another operation", 409),
    # Fees
    ErrorSpec("FEES_INPUT_INVALID", Severity.API, "費用試算の入力が正しくありません",
              "The fee estimate input is not valid", 422),
    ErrorSpec("FEES_PATTERN_B_OWN_SERVER", Severity.API,
              "パターンBでは自庁証明書発行サーバを選べません（BCL証明書発行サーバのみ）",
              "Pattern B can only use BCL's certificate issuance server", 422),
    # Onboarding
    ErrorSpec("ONBOARDING_START_MONTH_INVALID", Severity.API, "利用開始月はYYYY-MM形式で入力してください",
              "The start month must be YYYY-MM", 422),
    ErrorSpec("ONBOARDING_START_IN_PAST", Severity.API, "利用開始月が過去です", "The start month is in the past", 422),
    ErrorSpec("ONBOARDING_START_TOO_NEAR", Severity.API,
              "利用開始月までに導入スケジュールの期間（5カ月）がありません（短縮する場合はallow_compressedを指定）",
              "The start month is too near for the onboarding schedule (5 months); set allow_compressed to "
              "compress it", 422),
    ErrorSpec("ONBOARDING_NOT_A_MUNICIPALITY", Severity.API, "利用申し込みは市区町村の団体コードで行ってください",
              "Applications are made by a municipality (not a prefecture or an administrative ward)", 422),
    ErrorSpec("ONBOARDING_APPLICATION_NOT_FOUND", Severity.API, "利用申し込みが見つかりません",
              "No onboarding application for this municipality", 404),
    ErrorSpec("ONBOARDING_STEP_UNKNOWN", Severity.API, "この導入パターンにない作業項目です",
              "The step is not in this pattern's schedule", 404),
    ErrorSpec("ONBOARDING_MILESTONE_UNKNOWN", Severity.API, "該当する手続きがありません",
              "No such onboarding milestone", 404),
    ErrorSpec("ONBOARDING_STEP_OMITTED", Severity.API,
              "コンビニ交付を利用しないため省略された作業項目です",
              "The step is omitted because kiosk issuance is not used", 409),
    # Damage and support
    ErrorSpec("DAMAGE_LOSS_RATIO_INVALID", Severity.API, "損害割合は0以上100以下の数値（%）で入力してください",
              "The loss ratio must be a number from 0 to 100 (percent)", 422),
    ErrorSpec("DAMAGE_LEVEL_OR_RATIO", Severity.API, "被害の程度または損害割合を指定してください",
              "Give the damage level or the loss ratio", 422),
    ErrorSpec("DAMAGE_LEVEL_RATIO_MISMATCH", Severity.API, "被害の程度と損害割合が一致しません",
              "The damage level does not match the loss ratio", 422),
    ErrorSpec("SUPPORT_HOUSEHOLD_SIZE_INVALID", Severity.API, "世帯人数は1以上の整数で入力してください",
              "The household size must be a whole number of 1 or more", 422),
    # Ledger
    ErrorSpec("LEDGER_DISASTER_NOT_FOUND", Severity.API, "災害が見つかりません", "Disaster not found", 404),
    ErrorSpec("LEDGER_DISASTER_CLOSED", Severity.API, "この災害の台帳は終了しています",
              "The disaster's ledger is closed", 409),
    ErrorSpec("LEDGER_NOT_READY", Severity.API, "台帳を作成中です", "The ledger is still being built", 409),
    ErrorSpec("LEDGER_NO_RESIDENTS", Severity.API, "住民データが登録されていません（台帳を作成できません）",
              "No resident data is loaded: the ledger cannot be built", 409),
    ErrorSpec("LEDGER_HOUSEHOLD_NOT_FOUND", Severity.API, "世帯が見つかりません", "Household not found", 404),
    ErrorSpec("LEDGER_PERSON_NOT_FOUND", Severity.API, "対象者が見つかりません", "Person not found", 404),
    ErrorSpec("LEDGER_PERSON_EXISTS", Severity.API, "同じ番号の対象者が既に登録されています",
              "A person with this id is already in the ledger", 409),
    ErrorSpec("LEDGER_HOUSEHOLD_CLOSED", Severity.API, "この世帯は終了しています", "The household is closed", 409),
    ErrorSpec("LEDGER_COMMAND_ID_REUSED", Severity.API, "このコマンドIDは別の内容のコマンドに使われています",
              "The command id was used for a different command; use a new id", 409),
    ErrorSpec("LEDGER_PAYMENT_EXCEEDS_DECISION", Severity.API, "支給決定額を超える支払いは記録できません",
              "The payment would exceed the support decided for the household", 409),
    ErrorSpec("LEDGER_PROTECTED_PERSON", Severity.API,
              "支援措置の対象者の情報提供・住所・居所は当団体の職員のみが記録できます",
              "Disclosures, addresses and whereabouts of a protected person are recorded by own staff only", 403),
    ErrorSpec("LEDGER_GRANT_INVALID", Severity.API, "遠隔支援の権限設定が正しくありません",
              "The remote-support grant is not valid", 422),
    ErrorSpec("LEDGER_GRANT_NOT_FOUND", Severity.API, "遠隔支援の権限が見つかりません",
              "Remote-support grant not found", 404),
    ErrorSpec("LEDGER_SEARCH_INVALID", Severity.API,
              "検索条件が正しくありません（カナ・氏名・生年月日・住所のいずれかを指定してください）",
              "The search is not valid (give at least one of kana, name, birth date, address)", 422),
    ErrorSpec("LEDGER_SEARCH_TOO_BROAD", Severity.API,
              "該当者が多すぎます。条件を詳しく入力するか、条件を一つにしてください",
              "Too many persons match: narrow the criteria, or search by one criterion alone", 422),
    ErrorSpec("LEDGER_CURSOR_INVALID", Severity.API, "続きの指定（cursor）が正しくありません",
              "The paging cursor is not valid", 422),
    ErrorSpec("APPLICATION_NOT_FOUND", Severity.API, "申請が見つかりません", "Application not found", 404),
    ErrorSpec("APPLICATION_TRANSITION_INVALID", Severity.API,
              "この処理状況には変更できません（受付→調査中→判定済→交付可→交付済の順に一段階ずつ）",
              "The status cannot change to this one (受付→調査中→判定済→交付可→交付済, one step at a time)", 409),
    ErrorSpec("APPLICATION_NOT_MATCHED", Severity.API, "申請が台帳の世帯・対象者と照合されていません",
              "The application is not matched to a ledger household and person", 409),
    ErrorSpec("APPLICATION_NOT_SURVEYED", Severity.API, "照合した世帯の住家被害の程度が判定されていません",
              "The matched household has no damage level from a completed survey", 409),
    ErrorSpec("APPLICATION_MATCH_LOCKED", Severity.API, "判定済以降の申請の照合先は変更できません",
              "The match of an application cannot change once it is 判定済 or later", 409),
    # Certificates
    ErrorSpec("CERTIFICATE_GLYPH_MISSING", Severity.API, "証明書に印字できない文字（外字）が含まれています",
              "The certificate contains a character that no font can print (外字)", 422),
    ErrorSpec("CERTIFICATE_FIELD_TOO_LONG", Severity.API, "証明書の記載欄に収まりません",
              "A field does not fit in its box on the certificate", 422),
    ErrorSpec("CERTIFICATE_SEAL_INVALID", Severity.API, "公印の画像がPNG形式ではありません",
              "The official seal image is not a PNG", 422),
    ErrorSpec("CERTIFICATE_SIGNING_KEY_INVALID", Severity.API,
              "署名鍵がECC_NIST_P256の署名用（SIGN_VERIFY）鍵ではありません",
              "The signing key is not an ECC_NIST_P256 SIGN_VERIFY key", 500),
    ErrorSpec("CERTIFICATE_SEAL_REJECTED", Severity.API,
              "公印の画像が登録の条件（1MiB以下、一辺100〜2000px、ほぼ正方形、透明または白の背景）を満たしません",
              "The seal image does not meet the rules (≤ 1 MiB, 100-2000 px a side, square-ish, transparent or "
              "white background)", 422),
    ErrorSpec("CERTIFICATE_SEAL_NOT_FOUND", Severity.API, "公印が見つかりません", "Seal not found", 404),
    ErrorSpec("CERTIFICATE_SEAL_NOT_UPLOADED", Severity.API, "公印の画像がまだアップロードされていません",
              "The seal image has not been uploaded yet", 409),
    ErrorSpec("CERTIFICATE_SEAL_MISSING", Severity.API, "交付日に有効な公印が登録されていません",
              "No registered seal is in force on the date of issue", 409),
    ErrorSpec("CERTIFICATE_SIGNING_KEY_MISSING", Severity.API, "証明書の署名鍵が作成されていません",
              "The municipality has no certificate signing key yet", 409),
    ErrorSpec("CERTIFICATE_NOT_SURVEYED", Severity.API,
              "住家の被害認定調査が完了していないため罹災証明書を交付できません",
              "No completed damage survey for the household: no 罹災証明書 can be issued", 409),
    ErrorSpec("CERTIFICATE_CONTENT_INVALID", Severity.API, "台帳の内容を証明書の様式に記載できません",
              "The ledger's data does not fit the certificate form (see detail for the fields)", 422),
    ErrorSpec("CERTIFICATE_NOT_FOUND", Severity.API, "証明書が見つかりません", "Certificate not found", 404),
    ErrorSpec("CERTIFICATE_REQUEST_NOT_FOUND", Severity.API, "交付申請が見つかりません",
              "Certificate request not found", 404),
    ErrorSpec("CERTIFICATE_REVOKED", Severity.API, "この証明書は取り消されています", "The certificate is revoked", 409),
    ErrorSpec("CERTIFICATE_BUSY", Severity.API, "この証明書は再交付の処理中です",
              "A re-issue of this certificate is in progress", 409),
    ErrorSpec("CERTIFICATE_DOCUMENT_INVALID", Severity.API, "照合する文書がPDFではないか、大きすぎます",
              "The document to check is not a PDF or is too large", 422),
    # Kiosk
    ErrorSpec("KIOSK_UNKNOWN", Severity.API, "登録されていないキオスク端末です", "The kiosk is not registered", 403),
    ErrorSpec("KIOSK_DISABLED", Severity.API, "このキオスク端末は利用停止中です", "The kiosk is disabled", 403),
    ErrorSpec("KIOSK_REQUEST_EXPIRED", Severity.API, "要求の時刻が許容範囲（±300秒）を外れています",
              "The request timestamp is outside the allowed window (±300 s)", 403),
    ErrorSpec("KIOSK_REPLAY", Severity.API, "同じ要求（nonce）が再送されました",
              "The request nonce was used before", 403),
    ErrorSpec("KIOSK_SIGNATURE_INVALID", Severity.API, "要求の署名が正しくありません（改ざんまたは署名の誤り）",
              "The request signature is not valid (altered or wrongly signed)", 403),
    ErrorSpec("KIOSK_CARD_UNTRUSTED", Severity.API, "利用者証明用電子証明書を確認できません（発行元が異なります）",
              "The card certificate does not chain to a trusted JPKI CA", 401),
    ErrorSpec("KIOSK_CARD_EXPIRED", Severity.API, "利用者証明用電子証明書の有効期間外です",
              "The card certificate is outside its validity period", 401),
    ErrorSpec("KIOSK_CARD_REVOKED", Severity.API, "利用者証明用電子証明書は失効しています",
              "The card certificate is revoked", 401),
    ErrorSpec("KIOSK_NONCE_SIGNATURE_INVALID", Severity.API, "カードの署名を確認できません",
              "The card's signature over the session nonce is not valid", 401),
    ErrorSpec("KIOSK_CARD_NOT_LINKED", Severity.API, "このカードは当団体の住民と紐付けられていません",
              "The card is not linked to a resident of this municipality", 401),
    ErrorSpec("KIOSK_REVOCATION_UNAVAILABLE", Severity.API,
              "失効情報を確認できないため、しばらくしてからお試しください",
              "Revocation status cannot be checked now (no valid CRL); try again later", 503),
    ErrorSpec("KIOSK_SESSION_NOT_FOUND", Severity.API, "セッションが見つかりません", "Session not found", 404),
    ErrorSpec("KIOSK_SESSION_EXPIRED", Severity.API, "一定時間操作がなかったため、最初からやり直してください",
              "The session expired after inactivity; start again", 410),
    ErrorSpec("KIOSK_SESSION_NONCE_USED", Severity.API, "このセッションでは既に認証が行われました",
              "The session's nonce was used already; open a new session", 409),
    ErrorSpec("KIOSK_SESSION_NOT_AUTHENTICATED", Severity.API, "カードによる本人確認が済んでいません",
              "The session is not authenticated by a card yet", 409),
    ErrorSpec("KIOSK_BCL_SERVER_REQUIRED", Severity.API,
              "罹災証明書等のコンビニ交付にはBCLの証明発行サーバの利用が必要です",
              "Kiosk issuance of these certificates needs BCL's certificate issuance server", 403),
    ErrorSpec("KIOSK_SERVICE_OFF", Severity.API, "この市区町村はコンビニ交付を行っていません",
              "This municipality does not issue certificates at kiosks", 403),
    ErrorSpec("KIOSK_OUT_OF_HOURS", Severity.API, "サービス提供時間外です",
              "Outside the kiosk service hours (or a maintenance window)", 403),
    ErrorSpec("KIOSK_NOT_AVAILABLE", Severity.API,
              "コンビニ交付ではお取り扱いできません。市区町村の窓口にお問い合わせください",
              "Not available at a kiosk; please ask at the municipal office", 403),
    ErrorSpec("KIOSK_NOTHING_TO_PRINT", Severity.API, "コンビニ交付で取得できる証明書がありません",
              "There is no certificate to print at a kiosk", 404),
    ErrorSpec("KIOSK_IDEMPOTENCY_KEY_REQUIRED", Severity.API,
              "Idempotency-Key ヘッダ（8〜64文字の英数字・_・-）が必要です",
              "An Idempotency-Key header (8-64 characters [A-Za-z0-9_-]) is required", 400),
    ErrorSpec("KIOSK_IDEMPOTENCY_KEY_REUSED", Severity.API, "この Idempotency-Key は別の内容の要求に使われています",
              "The Idempotency-Key was used for a different request", 409),
    ErrorSpec("KIOSK_OPTION_NOT_AVAILABLE", Severity.API,
              "選択された証明書は現在交付できません。一覧を取得し直してください",
              "The chosen certificate is not printable now; list the certificates again", 409),
    ErrorSpec("KIOSK_QUOTE_MISMATCH", Severity.API,
              "提示した料金が現在の料金と一致しません。一覧を取得し直してください",
              "The quote does not match the current price; list the certificates again", 409),
    ErrorSpec("KIOSK_ISSUANCE_NOT_FOUND", Severity.API, "交付要求が見つかりません", "Issuance not found", 404),
    ErrorSpec("KIOSK_ISSUANCE_REFUSED", Severity.API,
              "この証明書はコンビニ交付できませんでした。市区町村の窓口にお問い合わせください",
              "The certificate could not be issued at a kiosk; please ask at the municipal office", 409),
    ErrorSpec("KIOSK_ISSUANCE_NOT_READY", Severity.API, "証明書はまだ交付されていません",
              "The document has not been handed out yet", 409),
    ErrorSpec("KIOSK_DOCUMENT_ALREADY_HANDED_OUT", Severity.API, "この証明書の文書は既に引き渡されました",
              "The document was handed out already; it is handed out once", 409),
    ErrorSpec("KIOSK_RESULT_ALREADY_RECORDED", Severity.API, "この交付は既に結果が記録され、終了しています",
              "A result was recorded for this issuance already; it is closed", 409),
]

CATALOG: dict[str, ErrorSpec] = {spec.code: spec for spec in _SPECS}


def spec(code: str) -> ErrorSpec:
    return CATALOG[code]


class DomainError(Exception):
    """A refusal with a stable code; the API turns it into JSON, the intake worker into a job status."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        self.code = code
        self.spec = CATALOG[code]
        self.detail = detail
        super().__init__(f"{code}: {detail or self.spec.en}")

    def to_dict(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.spec.en, "message_ja": self.spec.ja}
        if self.detail:
            body["detail"] = self.detail
        return body
