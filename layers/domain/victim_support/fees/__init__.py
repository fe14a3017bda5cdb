"""Fee engine (費用): what a municipality pays for the cloud victim support system, in integer yen.

Pure functions over the seed's fee tables (``tables``): the usage fee to J-LIS and its monthly
proration (``usage``), fiscal years (``fiscal``), the prefecture-wide special measures (``measures``),
kiosk issuance costs and the BCL issuance fee (``kiosk``), estimate-only ranges (``ranges``), and the
estimate for one municipality with its pydantic boundary models (``estimation``, rendered by ``render``).
Each module's docstring states its rules.
"""

from victim_support.fees.estimation import (
    Estimate,
    EstimateRequest,
    FiscalYearEstimate,
    LineItem,
    estimate,
    parse_request,
    request_error,
)
from victim_support.fees.fiscal import (
    calendar_month,
    fiscal_month,
    fiscal_year_label,
    fiscal_year_of,
    parse_year_month,
)
from victim_support.fees.kiosk import (
    BCL_ELIGIBLE_TYPES,
    CertificateType,
    Contribution,
    IssuanceServer,
    KioskCopyCharge,
    MunicipalityClass,
    bcl_issuance_fee,
    kiosk_copy_charge,
    kiosk_operating_contribution,
    municipality_class_of,
)
from victim_support.fees.measures import (
    PrefectureMeasure,
    first_application_year,
    measure_rate,
    measure_window,
    qualifying_rate,
)
from victim_support.fees.ranges import (
    CostRange,
    StoreTestCost,
    initial_build_cost,
    operation_maintenance_range,
    real_store_test_cost,
)
from victim_support.fees.render import render_estimate
from victim_support.fees.tables import (
    BCL_ISSUANCE_FEE,
    HALF_MEASURE_RATE,
    KIOSK_CONSIGNMENT_FEE,
    MUNICIPALITY_SHARE_WHEN_FREE,
    NORMAL_RATE,
    RESIDENT_PRINT_FEE,
    THREE_QUARTER_MEASURE_RATE,
    Rate,
)
from victim_support.fees.usage import annual_usage_fee, monthly_usage_share, months_of_use, prorated_usage_fee

__all__ = [
    "BCL_ELIGIBLE_TYPES",
    "BCL_ISSUANCE_FEE",
    "HALF_MEASURE_RATE",
    "KIOSK_CONSIGNMENT_FEE",
    "MUNICIPALITY_SHARE_WHEN_FREE",
    "NORMAL_RATE",
    "RESIDENT_PRINT_FEE",
    "THREE_QUARTER_MEASURE_RATE",
    "CertificateType",
    "Contribution",
    "CostRange",
    "Estimate",
    "EstimateRequest",
    "FiscalYearEstimate",
    "IssuanceServer",
    "KioskCopyCharge",
    "LineItem",
    "MunicipalityClass",
    "PrefectureMeasure",
    "Rate",
    "StoreTestCost",
    "annual_usage_fee",
    "bcl_issuance_fee",
    "calendar_month",
    "estimate",
    "first_application_year",
    "fiscal_month",
    "fiscal_year_label",
    "fiscal_year_of",
    "initial_build_cost",
    "kiosk_copy_charge",
    "kiosk_operating_contribution",
    "measure_rate",
    "measure_window",
    "monthly_usage_share",
    "months_of_use",
    "municipality_class_of",
    "operation_maintenance_range",
    "parse_request",
    "parse_year_month",
    "prorated_usage_fee",
    "qualifying_rate",
    "real_store_test_cost",
    "render_estimate",
    "request_error",
]
