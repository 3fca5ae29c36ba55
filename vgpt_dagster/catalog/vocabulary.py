"""Vista facts kept as data: module company columns and the English words people use for Vista tables.

These tables drive "did you mean" suggestions for invented names (``Invoice`` -> APTH/APTL) and the
fake-name generator. Entries name objects by their view name (the name users should query); names
missing from a given catalog are ignored, so a smaller catalog still works.
"""

# Module -> the column that holds the company number. A module not listed uses f"{module}Co"
# when its objects have it.
COMPANY_COLUMN_OVERRIDES: dict[str, str] = {}

# Key columns that partition by a shared group rather than by company (ARCM: CustGroup, APVM: VendorGroup).
GROUP_COLUMNS = ("CustGroup", "VendorGroup", "PhaseGroup", "MatlGroup", "EMGroup", "TaxGroup", "PayRateGroup")

# Module code -> its name (what generated labels say where the export has no label).
MODULE_NAMES: dict[str, str] = {
    "AP": "Accounts Payable", "AR": "Accounts Receivable", "CM": "Cash Management", "DD": "Data Dictionary",
    "EM": "Equipment Management", "GL": "General Ledger", "HQ": "Headquarters", "HR": "Human Resources",
    "IN": "Inventory", "JB": "Job Billing", "JC": "Job Cost", "MS": "Material Sales", "PM": "Project Management",
    "PO": "Purchase Order", "PR": "Payroll", "SL": "Subcontract", "SM": "Service Management",
    "VA": "Viewpoint Administration", "VP": "Viewpoint Portal", "WF": "Workflow", "UD": "user-defined",
    "RP": "Reporting", "WD": "Work Center", "PC": "Pre-Construction", "DM": "Document Management",
    "RQ": "Requisition", "MO": "Material Orders", "HU": "Human Resources Utility", "PU": "Purchasing",
    "BI": "Business Intelligence", "CV": "Conversion", "QA": "Quality Assurance", "DC": "Data Conversion",
    "EX": "Export", "FR": "Financial Reporting",
}  # fmt: skip

# Curated labels for the best-known objects (the export labels only 254 tables, some tersely).
LABELS: dict[str, str] = {
    "APTH": "AP Transaction Header (one row per AP invoice)",
    "APTL": "AP Transaction Lines (invoice line detail)",
    "APTD": "AP Transaction Detail (payment-level detail of each line)",
    "APVM": "AP Vendor Master",
    "APHB": "AP Entry Batch Header",
    "APPH": "AP Payment History",
    "ARCM": "AR Customer Master",
    "ARTH": "AR Transaction Header (AR invoices, payments and adjustments)",
    "ARTL": "AR Transaction Lines",
    "JCJM": "JC Job Master",
    "JCJP": "JC Job Phases",
    "JCCD": "JC Cost Detail",
    "JCCH": "JC Cost Header (phase cost types)",
    "JCCM": "JC Contract Master",
    "JCCI": "JC Contract Items",
    "PREH": "PR Employee Header (employee master)",
    "PRTH": "PR Timecard Header",
    "PRDT": "PR Detail (payroll earnings, deductions, liabilities)",
    "GLAC": "GL Account master",
    "GLDT": "GL Detail transactions",
    "GLCO": "GL Company parameters",
    "HQCO": "HQ Company master",
    "EMEM": "EM Equipment Master",
    "EMCD": "EM Cost Detail",
    "INMT": "IN Material by location",
    "HQMT": "HQ Material master",
    "POHD": "PO Header",
    "POIT": "PO Items",
    "SLHD": "SL Subcontract Header",
    "SLIT": "SL Subcontract Items",
    "PMOH": "PM Change Order Header",
    "CMDT": "CM Detail (cash management transactions)",
    "CMAC": "CM Accounts",
    "SMWorkOrder": "SM Work Order",
}

# Plain-English concepts -> the Vista objects to use instead, in order of relevance.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "Invoice": ("APTH", "APTL", "ARTH"),
    "Bill": ("APTH", "APTL"),
    "Payable": ("APTH", "APTD"),
    "Payment": ("APTD", "APPH", "ARTH"),
    "Vendor": ("APVM",),
    "Supplier": ("APVM",),
    "Customer": ("ARCM",),
    "Client": ("ARCM",),
    "Receivable": ("ARTH", "ARTL"),
    "Employee": ("PREH",),
    "Worker": ("PREH",),
    "Staff": ("PREH",),
    "Timecard": ("PRTH",),
    "Timesheet": ("PRTH",),
    "Paycheck": ("PRDT", "PRSQ"),
    "Payroll": ("PRDT", "PRTH"),
    "Job": ("JCJM",),
    "Project": ("JCJM", "PMOH"),
    "Phase": ("JCJP",),
    "JobCost": ("JCCD", "JCCH"),
    "Cost": ("JCCD",),
    "Contract": ("JCCM", "JCCI"),
    "ChangeOrder": ("PMOH", "JCOH"),
    "Account": ("GLAC",),
    "Ledger": ("GLDT", "GLAC"),
    "JournalEntry": ("GLDT",),
    "Company": ("HQCO",),
    "Equipment": ("EMEM",),
    "Asset": ("EMEM",),
    "Material": ("HQMT", "INMT"),
    "Inventory": ("INMT",),
    "Product": ("HQMT",),
    "Item": ("HQMT", "INMT"),
    "PurchaseOrder": ("POHD", "POIT"),
    "Order": ("POHD", "POIT"),
    "Subcontract": ("SLHD", "SLIT"),
    "WorkOrder": ("SMWorkOrder",),
    "BankAccount": ("CMAC",),
    "Transaction": ("GLDT", "APTH", "ARTH"),
}

# Words that people expand Vista mnemonics into (APTransactionHeader -> AP + T + H -> APTH).
ABBREVIATIONS: dict[str, str] = {
    "Transaction": "T",
    "Trans": "T",
    "Header": "H",
    "Head": "H",
    "Line": "L",
    "Lines": "L",
    "Detail": "D",
    "Details": "D",
    "Master": "M",
    "Vendor": "V",
    "Customer": "C",
    "Employee": "E",
    "Job": "J",
    "Cost": "C",
    "Company": "CO",
    "Account": "AC",
    "Item": "IT",
    "Items": "IT",
}
