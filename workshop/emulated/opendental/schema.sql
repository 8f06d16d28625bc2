-- Emulated Open Dental tables the connector reads (ODBC) and the API double writes.
-- Column names and MySQL types follow Open Dental's schema documentation for version 24.3
-- (DocumentationBuilder/OpenDentalDocumentation.xml, database version 24.3.0.0). Open Dental's
-- conventions are kept: every column NOT NULL, empty date = '0001-01-01', booleans tinyint,
-- enums stored as integers, FK 0 = none, money in `double`.
-- Tables with few columns relevant here list every 24.3 column (payment, paysplit, claimproc,
-- claimpayment, commlog, definition, adjustment, preference); the wide tables (patient,
-- procedurelog, claim, insplan, inssub, patplan, carrier, provider, procedurecode) list the
-- subset the connector and the double use. Indexes are the ones our queries rely on; Open Dental
-- has these (PatNum/ProcNum/ClaimNum/PayNum keys) but its full index list is not reproduced.
-- NULL flags and defaults: every column is NOT NULL as in Open Dental. The tables the API double
-- writes (payment, paysplit, claimproc, claimpayment, commlog, claim) carry no DEFAULT except
-- on their `timestamp` columns: many 24.3 columns have none (Open Dental's upgrade scripts add
-- them as `NOT NULL` only, e.g. payment.MerchantFee, paysplit.SecurityHash, claimpayment.PayGroup),
-- and Open Dental's CRUD layer names every column in each INSERT, so under STRICT_TRANS_TABLES
-- (the test server's mode) an insert that forgets a column fails here as it would there. Rows are
-- completed by adapters/opendental/crud_rows.py. The other (seeded, read-only) tables keep
-- convenience defaults; TEXT DEFAULT '' there is a MariaDB extension Open Dental's DDL lacks.
-- procedurelog.SecDateEntry is a datetime since 22.3.13 (ConvertDatabases7.cs To22_3_13: "MODIFY SecDateEntry
-- DATETIME NOT NULL DEFAULT '0001-01-01 00:00:00' //was just a date").
-- The statements are separated by lines holding only ";" so a loader can split them safely.

CREATE TABLE preference (
  PrefNum bigint(20) NOT NULL AUTO_INCREMENT,
  PrefName varchar(255) NOT NULL DEFAULT '',
  ValueString text NOT NULL DEFAULT '',
  Comments text NOT NULL DEFAULT '',
  PRIMARY KEY (PrefNum),
  KEY PrefName (PrefName)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE definition (
  DefNum bigint(20) NOT NULL AUTO_INCREMENT,
  Category tinyint(4) NOT NULL DEFAULT 0,
  ItemOrder smallint(6) NOT NULL DEFAULT 0,
  ItemName varchar(255) NOT NULL DEFAULT '',
  ItemValue varchar(255) NOT NULL DEFAULT '',
  ItemColor int(11) NOT NULL DEFAULT 0,
  IsHidden tinyint(4) NOT NULL DEFAULT 0,
  PRIMARY KEY (DefNum),
  KEY Category (Category)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE provider (
  ProvNum bigint(20) NOT NULL AUTO_INCREMENT,
  Abbr varchar(255) NOT NULL DEFAULT '',
  ItemOrder smallint(6) NOT NULL DEFAULT 0,
  LName varchar(100) NOT NULL DEFAULT '',
  FName varchar(100) NOT NULL DEFAULT '',
  MI varchar(100) NOT NULL DEFAULT '',
  Suffix varchar(100) NOT NULL DEFAULT '',
  FeeSched bigint(20) NOT NULL DEFAULT 0,
  IsSecondary tinyint(4) NOT NULL DEFAULT 0,
  IsHidden tinyint(4) NOT NULL DEFAULT 0,
  NationalProvID varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (ProvNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE procedurecode (
  CodeNum bigint(20) NOT NULL AUTO_INCREMENT,
  ProcCode varchar(15) NOT NULL DEFAULT '',
  Descript varchar(255) NOT NULL DEFAULT '',
  AbbrDesc varchar(50) NOT NULL DEFAULT '',
  ProcCat bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (CodeNum),
  KEY ProcCode (ProcCode)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE patient (
  PatNum bigint(20) NOT NULL AUTO_INCREMENT,
  LName varchar(100) NOT NULL DEFAULT '',
  FName varchar(100) NOT NULL DEFAULT '',
  MiddleI varchar(100) NOT NULL DEFAULT '',
  Preferred varchar(100) NOT NULL DEFAULT '',
  PatStatus tinyint(4) NOT NULL DEFAULT 0,
  Gender tinyint(4) NOT NULL DEFAULT 0,
  Position tinyint(4) NOT NULL DEFAULT 0,
  Birthdate date NOT NULL DEFAULT '0001-01-01',
  Guarantor bigint(20) NOT NULL DEFAULT 0,
  PriProv bigint(20) NOT NULL DEFAULT 0,
  SecProv bigint(20) NOT NULL DEFAULT 0,
  ClinicNum bigint(20) NOT NULL DEFAULT 0,
  EstBalance double NOT NULL DEFAULT 0,
  Bal_0_30 double NOT NULL DEFAULT 0,
  Bal_31_60 double NOT NULL DEFAULT 0,
  Bal_61_90 double NOT NULL DEFAULT 0,
  BalOver90 double NOT NULL DEFAULT 0,
  InsEst double NOT NULL DEFAULT 0,
  BalTotal double NOT NULL DEFAULT 0,
  PayPlanDue double NOT NULL DEFAULT 0,
  DateTStamp timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  SecurityHash varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (PatNum),
  KEY Guarantor (Guarantor)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE carrier (
  CarrierNum bigint(20) NOT NULL AUTO_INCREMENT,
  CarrierName varchar(255) NOT NULL DEFAULT '',
  ElectID varchar(255) NOT NULL DEFAULT '',
  IsHidden tinyint(4) NOT NULL DEFAULT 0,
  EraAutomationOverride tinyint(4) NOT NULL DEFAULT 0,
  PRIMARY KEY (CarrierNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE insplan (
  PlanNum bigint(20) NOT NULL AUTO_INCREMENT,
  GroupName varchar(50) NOT NULL DEFAULT '',
  GroupNum varchar(25) NOT NULL DEFAULT '',
  PlanNote text NOT NULL DEFAULT '',
  FeeSched bigint(20) NOT NULL DEFAULT 0,
  PlanType char(1) NOT NULL DEFAULT '',
  CarrierNum bigint(20) NOT NULL DEFAULT 0,
  ClaimsUseUCR tinyint(4) NOT NULL DEFAULT 0,
  IsHidden tinyint(4) NOT NULL DEFAULT 0,
  PRIMARY KEY (PlanNum),
  KEY CarrierNum (CarrierNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE inssub (
  InsSubNum bigint(20) NOT NULL AUTO_INCREMENT,
  PlanNum bigint(20) NOT NULL DEFAULT 0,
  Subscriber bigint(20) NOT NULL DEFAULT 0,
  DateEffective date NOT NULL DEFAULT '0001-01-01',
  DateTerm date NOT NULL DEFAULT '0001-01-01',
  ReleaseInfo tinyint(4) NOT NULL DEFAULT 1,
  AssignBen tinyint(4) NOT NULL DEFAULT 1,
  SubscriberID varchar(255) NOT NULL DEFAULT '',
  BenefitNotes text NOT NULL DEFAULT '',
  SubscNote text NOT NULL DEFAULT '',
  PRIMARY KEY (InsSubNum),
  KEY PlanNum (PlanNum),
  KEY Subscriber (Subscriber)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE patplan (
  PatPlanNum bigint(20) NOT NULL AUTO_INCREMENT,
  PatNum bigint(20) NOT NULL DEFAULT 0,
  Ordinal tinyint(3) unsigned NOT NULL DEFAULT 0,
  IsPending tinyint(4) NOT NULL DEFAULT 0,
  Relationship tinyint(3) unsigned NOT NULL DEFAULT 0,
  PatID varchar(100) NOT NULL DEFAULT '',
  InsSubNum bigint(20) NOT NULL DEFAULT 0,
  OrthoAutoFeeBilledOverride double NOT NULL DEFAULT -1,
  OrthoAutoNextClaimDate date NOT NULL DEFAULT '0001-01-01',
  SecDateTEntry datetime NOT NULL DEFAULT '0001-01-01 00:00:00',
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (PatPlanNum),
  KEY PatNum (PatNum),
  KEY InsSubNum (InsSubNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE procedurelog (
  ProcNum bigint(20) NOT NULL AUTO_INCREMENT,
  PatNum bigint(20) NOT NULL DEFAULT 0,
  AptNum bigint(20) NOT NULL DEFAULT 0,
  ProcDate date NOT NULL DEFAULT '0001-01-01',
  ProcFee double NOT NULL DEFAULT 0,
  Surf varchar(10) NOT NULL DEFAULT '',
  ToothNum varchar(2) NOT NULL DEFAULT '',
  ProcStatus tinyint(4) NOT NULL DEFAULT 0,
  ProvNum bigint(20) NOT NULL DEFAULT 0,
  ClinicNum bigint(20) NOT NULL DEFAULT 0,
  CodeNum bigint(20) NOT NULL DEFAULT 0,
  UnitQty int(11) NOT NULL DEFAULT 1,
  BaseUnits int(11) NOT NULL DEFAULT 0,
  DateEntryC date NOT NULL DEFAULT '0001-01-01',
  DateTP date NOT NULL DEFAULT '0001-01-01',
  ProcNumLab bigint(20) NOT NULL DEFAULT 0,
  Discount double NOT NULL DEFAULT 0,
  DateComplete date NOT NULL DEFAULT '0001-01-01',
  DiscountPlanAmt double NOT NULL DEFAULT 0,
  DateTStamp timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  SecUserNumEntry bigint(20) NOT NULL DEFAULT 0,
  SecDateEntry datetime NOT NULL DEFAULT '0001-01-01 00:00:00',
  PRIMARY KEY (ProcNum),
  KEY PatNum (PatNum),
  KEY ProcDate (ProcDate)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE adjustment (
  AdjNum bigint(20) NOT NULL AUTO_INCREMENT,
  AdjDate date NOT NULL,
  AdjAmt double NOT NULL,
  PatNum bigint(20) NOT NULL,
  AdjType bigint(20) NOT NULL,
  ProvNum bigint(20) NOT NULL,
  AdjNote text NOT NULL,
  ProcDate date NOT NULL,
  ProcNum bigint(20) NOT NULL,
  DateEntry date NOT NULL,
  ClinicNum bigint(20) NOT NULL,
  StatementNum bigint(20) NOT NULL,
  SecUserNumEntry bigint(20) NOT NULL,
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  TaxTransID bigint(20) NOT NULL,
  PRIMARY KEY (AdjNum),
  KEY PatNum (PatNum),
  KEY ProcNum (ProcNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE payment (
  PayNum bigint(20) NOT NULL AUTO_INCREMENT,
  PayType bigint(20) NOT NULL,
  PayDate date NOT NULL,
  PayAmt double NOT NULL,
  CheckNum varchar(25) NOT NULL,
  BankBranch varchar(25) NOT NULL,
  PayNote text NOT NULL,
  IsSplit tinyint(4) NOT NULL,
  PatNum bigint(20) NOT NULL,
  ClinicNum bigint(20) NOT NULL,
  DateEntry date NOT NULL,
  DepositNum bigint(20) NOT NULL,
  Receipt text NOT NULL,
  IsRecurringCC tinyint(4) NOT NULL,
  SecUserNumEntry bigint(20) NOT NULL,
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PaymentSource tinyint(4) NOT NULL,
  ProcessStatus tinyint(4) NOT NULL,
  RecurringChargeDate date NOT NULL,
  ExternalId varchar(255) NOT NULL,
  PaymentStatus tinyint(4) NOT NULL,
  IsCcCompleted tinyint(4) NOT NULL,
  MerchantFee double NOT NULL,
  PRIMARY KEY (PayNum),
  KEY PatNum (PatNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE deposit (
  DepositNum bigint(20) NOT NULL AUTO_INCREMENT,
  DateDeposit date NOT NULL,
  BankAccountInfo text NOT NULL,
  Amount double NOT NULL,
  Memo varchar(255) NOT NULL,
  Batch varchar(25) NOT NULL,
  DepositAccountNum bigint(20) NOT NULL,
  IsSentToQuickBooksOnline tinyint(4) NOT NULL,
  PRIMARY KEY (DepositNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE paysplit (
  SplitNum bigint(20) NOT NULL AUTO_INCREMENT,
  SplitAmt double NOT NULL,
  PatNum bigint(20) NOT NULL,
  ProcDate date NOT NULL,
  PayNum bigint(20) NOT NULL,
  IsDiscount tinyint(4) NOT NULL,
  DiscountType tinyint(4) NOT NULL,
  ProvNum bigint(20) NOT NULL,
  PayPlanNum bigint(20) NOT NULL,
  DatePay date NOT NULL,
  ProcNum bigint(20) NOT NULL,
  DateEntry date NOT NULL,
  UnearnedType bigint(20) NOT NULL,
  ClinicNum bigint(20) NOT NULL,
  SecUserNumEntry bigint(20) NOT NULL,
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  FSplitNum bigint(20) NOT NULL,
  AdjNum bigint(20) NOT NULL,
  PayPlanChargeNum bigint(20) NOT NULL,
  PayPlanDebitType tinyint(4) NOT NULL,
  SecurityHash varchar(255) NOT NULL,
  PRIMARY KEY (SplitNum),
  KEY PayNum (PayNum),
  KEY PatNum (PatNum),
  KEY ProcNum (ProcNum),
  KEY AdjNum (AdjNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE claim (
  ClaimNum bigint(20) NOT NULL AUTO_INCREMENT,
  PatNum bigint(20) NOT NULL,
  DateService date NOT NULL,
  DateSent date NOT NULL,
  ClaimStatus char(1) NOT NULL,
  DateReceived date NOT NULL,
  PlanNum bigint(20) NOT NULL,
  ProvTreat bigint(20) NOT NULL,
  ClaimFee double NOT NULL,
  InsPayEst double NOT NULL,
  InsPayAmt double NOT NULL,
  DedApplied double NOT NULL,
  ReasonUnderPaid varchar(255) NOT NULL,
  ClaimNote varchar(400) NOT NULL,
  ClaimType varchar(255) NOT NULL,
  ProvBill bigint(20) NOT NULL,
  PlanNum2 bigint(20) NOT NULL,
  WriteOff double NOT NULL,
  ClinicNum bigint(20) NOT NULL,
  InsSubNum bigint(20) NOT NULL,
  InsSubNum2 bigint(20) NOT NULL,
  CustomTracking bigint(20) NOT NULL,
  ClaimIdentifier varchar(255) NOT NULL,
  OrigRefNum varchar(255) NOT NULL,
  CorrectionType tinyint(4) NOT NULL,
  SecUserNumEntry bigint(20) NOT NULL,
  SecDateEntry date NOT NULL,
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  SecurityHash varchar(255) NOT NULL,
  PRIMARY KEY (ClaimNum),
  KEY PatNum (PatNum),
  KEY PlanNum (PlanNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE claimproc (
  ClaimProcNum bigint(20) NOT NULL AUTO_INCREMENT,
  ProcNum bigint(20) NOT NULL,
  ClaimNum bigint(20) NOT NULL,
  PatNum bigint(20) NOT NULL,
  ProvNum bigint(20) NOT NULL,
  FeeBilled double NOT NULL,
  InsPayEst double NOT NULL,
  DedApplied double NOT NULL,
  Status tinyint(4) NOT NULL,
  InsPayAmt double NOT NULL,
  Remarks varchar(255) NOT NULL,
  ClaimPaymentNum bigint(20) NOT NULL,
  PlanNum bigint(20) NOT NULL,
  DateCP date NOT NULL,
  WriteOff double NOT NULL,
  CodeSent varchar(15) NOT NULL,
  AllowedOverride double NOT NULL,
  Percentage tinyint(4) NOT NULL,
  PercentOverride tinyint(4) NOT NULL,
  CopayAmt double NOT NULL,
  NoBillIns tinyint(4) NOT NULL,
  PaidOtherIns double NOT NULL,
  BaseEst double NOT NULL,
  CopayOverride double NOT NULL,
  ProcDate date NOT NULL,
  DateEntry date NOT NULL,
  LineNumber tinyint(3) unsigned NOT NULL,
  DedEst double NOT NULL,
  DedEstOverride double NOT NULL,
  InsEstTotal double NOT NULL,
  InsEstTotalOverride double NOT NULL,
  PaidOtherInsOverride double NOT NULL,
  EstimateNote varchar(255) NOT NULL,
  WriteOffEst double NOT NULL,
  WriteOffEstOverride double NOT NULL,
  ClinicNum bigint(20) NOT NULL,
  InsSubNum bigint(20) NOT NULL,
  PaymentRow int(11) NOT NULL,
  PayPlanNum bigint(20) NOT NULL,
  ClaimPaymentTracking bigint(20) NOT NULL,
  SecUserNumEntry bigint(20) NOT NULL,
  SecDateEntry date NOT NULL,
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  DateSuppReceived date NOT NULL,
  DateInsFinalized date NOT NULL,
  IsTransfer tinyint(4) NOT NULL,
  ClaimAdjReasonCodes varchar(255) NOT NULL,
  IsOverpay tinyint(4) NOT NULL,
  SecurityHash varchar(255) NOT NULL,
  PRIMARY KEY (ClaimProcNum),
  KEY ProcNum (ProcNum),
  KEY ClaimNum (ClaimNum),
  KEY PatNum (PatNum),
  KEY ClaimPaymentNum (ClaimPaymentNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE claimpayment (
  ClaimPaymentNum bigint(20) NOT NULL AUTO_INCREMENT,
  CheckDate date NOT NULL,
  CheckAmt double NOT NULL,
  CheckNum varchar(25) NOT NULL,
  BankBranch varchar(25) NOT NULL,
  Note varchar(255) NOT NULL,
  ClinicNum bigint(20) NOT NULL,
  DepositNum bigint(20) NOT NULL,
  CarrierName varchar(255) NOT NULL,
  DateIssued date NOT NULL,
  IsPartial tinyint(4) NOT NULL,
  PayType bigint(20) NOT NULL,
  SecUserNumEntry bigint(20) NOT NULL,
  SecDateEntry date NOT NULL,
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PayGroup bigint(20) NOT NULL,
  PRIMARY KEY (ClaimPaymentNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE commlog (
  CommlogNum bigint(20) NOT NULL AUTO_INCREMENT,
  PatNum bigint(20) NOT NULL,
  CommDateTime datetime NOT NULL,
  CommType bigint(20) NOT NULL,
  Note text NOT NULL,
  Mode_ tinyint(4) NOT NULL,
  SentOrReceived tinyint(4) NOT NULL,
  UserNum bigint(20) NOT NULL,
  Signature text NOT NULL,
  SigIsTopaz tinyint(4) NOT NULL,
  DateTStamp timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  DateTimeEnd datetime NOT NULL,
  CommSource tinyint(4) NOT NULL,
  ProgramNum bigint(20) NOT NULL,
  DateTEntry datetime NOT NULL,
  ReferralNum bigint(20) NOT NULL,
  CommReferralBehavior tinyint(4) NOT NULL,
  PRIMARY KEY (CommlogNum),
  KEY PatNum (PatNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
