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
-- TEXT columns get DEFAULT '' (MariaDB allows it; Open Dental's own DDL has none) so inserts
-- may omit them.
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
  SecDateEntry date NOT NULL DEFAULT '0001-01-01',
  PRIMARY KEY (ProcNum),
  KEY PatNum (PatNum),
  KEY ProcDate (ProcDate)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE adjustment (
  AdjNum bigint(20) NOT NULL AUTO_INCREMENT,
  AdjDate date NOT NULL DEFAULT '0001-01-01',
  AdjAmt double NOT NULL DEFAULT 0,
  PatNum bigint(20) NOT NULL DEFAULT 0,
  AdjType bigint(20) NOT NULL DEFAULT 0,
  ProvNum bigint(20) NOT NULL DEFAULT 0,
  AdjNote text NOT NULL DEFAULT '',
  ProcDate date NOT NULL DEFAULT '0001-01-01',
  ProcNum bigint(20) NOT NULL DEFAULT 0,
  DateEntry date NOT NULL DEFAULT '0001-01-01',
  ClinicNum bigint(20) NOT NULL DEFAULT 0,
  StatementNum bigint(20) NOT NULL DEFAULT 0,
  SecUserNumEntry bigint(20) NOT NULL DEFAULT 0,
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  TaxTransID bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (AdjNum),
  KEY PatNum (PatNum),
  KEY ProcNum (ProcNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE payment (
  PayNum bigint(20) NOT NULL AUTO_INCREMENT,
  PayType bigint(20) NOT NULL DEFAULT 0,
  PayDate date NOT NULL DEFAULT '0001-01-01',
  PayAmt double NOT NULL DEFAULT 0,
  CheckNum varchar(25) NOT NULL DEFAULT '',
  BankBranch varchar(25) NOT NULL DEFAULT '',
  PayNote text NOT NULL DEFAULT '',
  IsSplit tinyint(4) NOT NULL DEFAULT 0,
  PatNum bigint(20) NOT NULL DEFAULT 0,
  ClinicNum bigint(20) NOT NULL DEFAULT 0,
  DateEntry date NOT NULL DEFAULT '0001-01-01',
  DepositNum bigint(20) NOT NULL DEFAULT 0,
  Receipt text NOT NULL DEFAULT '',
  IsRecurringCC tinyint(4) NOT NULL DEFAULT 0,
  SecUserNumEntry bigint(20) NOT NULL DEFAULT 0,
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PaymentSource tinyint(4) NOT NULL DEFAULT 0,
  ProcessStatus tinyint(4) NOT NULL DEFAULT 0,
  RecurringChargeDate date NOT NULL DEFAULT '0001-01-01',
  ExternalId varchar(255) NOT NULL DEFAULT '',
  PaymentStatus tinyint(4) NOT NULL DEFAULT 0,
  IsCcCompleted tinyint(4) NOT NULL DEFAULT 0,
  MerchantFee double NOT NULL DEFAULT 0,
  PRIMARY KEY (PayNum),
  KEY PatNum (PatNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE deposit (
  DepositNum bigint(20) NOT NULL AUTO_INCREMENT,
  DateDeposit date NOT NULL DEFAULT '0001-01-01',
  BankAccountInfo text NOT NULL DEFAULT '',
  Amount double NOT NULL DEFAULT 0,
  Memo varchar(255) NOT NULL DEFAULT '',
  Batch varchar(25) NOT NULL DEFAULT '',
  DepositAccountNum bigint(20) NOT NULL DEFAULT 0,
  IsSentToQuickBooksOnline tinyint(4) NOT NULL DEFAULT 0,
  PRIMARY KEY (DepositNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE paysplit (
  SplitNum bigint(20) NOT NULL AUTO_INCREMENT,
  SplitAmt double NOT NULL DEFAULT 0,
  PatNum bigint(20) NOT NULL DEFAULT 0,
  ProcDate date NOT NULL DEFAULT '0001-01-01',
  PayNum bigint(20) NOT NULL DEFAULT 0,
  IsDiscount tinyint(4) NOT NULL DEFAULT 0,
  DiscountType tinyint(4) NOT NULL DEFAULT 0,
  ProvNum bigint(20) NOT NULL DEFAULT 0,
  PayPlanNum bigint(20) NOT NULL DEFAULT 0,
  DatePay date NOT NULL DEFAULT '0001-01-01',
  ProcNum bigint(20) NOT NULL DEFAULT 0,
  DateEntry date NOT NULL DEFAULT '0001-01-01',
  UnearnedType bigint(20) NOT NULL DEFAULT 0,
  ClinicNum bigint(20) NOT NULL DEFAULT 0,
  SecUserNumEntry bigint(20) NOT NULL DEFAULT 0,
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  FSplitNum bigint(20) NOT NULL DEFAULT 0,
  AdjNum bigint(20) NOT NULL DEFAULT 0,
  PayPlanChargeNum bigint(20) NOT NULL DEFAULT 0,
  PayPlanDebitType tinyint(4) NOT NULL DEFAULT 0,
  SecurityHash varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (SplitNum),
  KEY PayNum (PayNum),
  KEY PatNum (PatNum),
  KEY ProcNum (ProcNum),
  KEY AdjNum (AdjNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE claim (
  ClaimNum bigint(20) NOT NULL AUTO_INCREMENT,
  PatNum bigint(20) NOT NULL DEFAULT 0,
  DateService date NOT NULL DEFAULT '0001-01-01',
  DateSent date NOT NULL DEFAULT '0001-01-01',
  ClaimStatus char(1) NOT NULL DEFAULT '',
  DateReceived date NOT NULL DEFAULT '0001-01-01',
  PlanNum bigint(20) NOT NULL DEFAULT 0,
  ProvTreat bigint(20) NOT NULL DEFAULT 0,
  ClaimFee double NOT NULL DEFAULT 0,
  InsPayEst double NOT NULL DEFAULT 0,
  InsPayAmt double NOT NULL DEFAULT 0,
  DedApplied double NOT NULL DEFAULT 0,
  ReasonUnderPaid varchar(255) NOT NULL DEFAULT '',
  ClaimNote varchar(400) NOT NULL DEFAULT '',
  ClaimType varchar(255) NOT NULL DEFAULT '',
  ProvBill bigint(20) NOT NULL DEFAULT 0,
  PlanNum2 bigint(20) NOT NULL DEFAULT 0,
  WriteOff double NOT NULL DEFAULT 0,
  ClinicNum bigint(20) NOT NULL DEFAULT 0,
  InsSubNum bigint(20) NOT NULL DEFAULT 0,
  InsSubNum2 bigint(20) NOT NULL DEFAULT 0,
  CustomTracking bigint(20) NOT NULL DEFAULT 0,
  ClaimIdentifier varchar(255) NOT NULL DEFAULT '',
  OrigRefNum varchar(255) NOT NULL DEFAULT '',
  CorrectionType tinyint(4) NOT NULL DEFAULT 0,
  SecUserNumEntry bigint(20) NOT NULL DEFAULT 0,
  SecDateEntry date NOT NULL DEFAULT '0001-01-01',
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  SecurityHash varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (ClaimNum),
  KEY PatNum (PatNum),
  KEY PlanNum (PlanNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE claimproc (
  ClaimProcNum bigint(20) NOT NULL AUTO_INCREMENT,
  ProcNum bigint(20) NOT NULL DEFAULT 0,
  ClaimNum bigint(20) NOT NULL DEFAULT 0,
  PatNum bigint(20) NOT NULL DEFAULT 0,
  ProvNum bigint(20) NOT NULL DEFAULT 0,
  FeeBilled double NOT NULL DEFAULT 0,
  InsPayEst double NOT NULL DEFAULT 0,
  DedApplied double NOT NULL DEFAULT 0,
  Status tinyint(4) NOT NULL DEFAULT 0,
  InsPayAmt double NOT NULL DEFAULT 0,
  Remarks varchar(255) NOT NULL DEFAULT '',
  ClaimPaymentNum bigint(20) NOT NULL DEFAULT 0,
  PlanNum bigint(20) NOT NULL DEFAULT 0,
  DateCP date NOT NULL DEFAULT '0001-01-01',
  WriteOff double NOT NULL DEFAULT 0,
  CodeSent varchar(15) NOT NULL DEFAULT '',
  AllowedOverride double NOT NULL DEFAULT -1,
  Percentage tinyint(4) NOT NULL DEFAULT -1,
  PercentOverride tinyint(4) NOT NULL DEFAULT -1,
  CopayAmt double NOT NULL DEFAULT -1,
  NoBillIns tinyint(4) NOT NULL DEFAULT 0,
  PaidOtherIns double NOT NULL DEFAULT -1,
  BaseEst double NOT NULL DEFAULT 0,
  CopayOverride double NOT NULL DEFAULT -1,
  ProcDate date NOT NULL DEFAULT '0001-01-01',
  DateEntry date NOT NULL DEFAULT '0001-01-01',
  LineNumber tinyint(3) unsigned NOT NULL DEFAULT 0,
  DedEst double NOT NULL DEFAULT -1,
  DedEstOverride double NOT NULL DEFAULT -1,
  InsEstTotal double NOT NULL DEFAULT 0,
  InsEstTotalOverride double NOT NULL DEFAULT -1,
  PaidOtherInsOverride double NOT NULL DEFAULT -1,
  EstimateNote varchar(255) NOT NULL DEFAULT '',
  WriteOffEst double NOT NULL DEFAULT -1,
  WriteOffEstOverride double NOT NULL DEFAULT -1,
  ClinicNum bigint(20) NOT NULL DEFAULT 0,
  InsSubNum bigint(20) NOT NULL DEFAULT 0,
  PaymentRow int(11) NOT NULL DEFAULT 0,
  PayPlanNum bigint(20) NOT NULL DEFAULT 0,
  ClaimPaymentTracking bigint(20) NOT NULL DEFAULT 0,
  SecUserNumEntry bigint(20) NOT NULL DEFAULT 0,
  SecDateEntry date NOT NULL DEFAULT '0001-01-01',
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  DateSuppReceived date NOT NULL DEFAULT '0001-01-01',
  DateInsFinalized date NOT NULL DEFAULT '0001-01-01',
  IsTransfer tinyint(4) NOT NULL DEFAULT 0,
  ClaimAdjReasonCodes varchar(255) NOT NULL DEFAULT '',
  IsOverpay tinyint(4) NOT NULL DEFAULT 0,
  SecurityHash varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (ClaimProcNum),
  KEY ProcNum (ProcNum),
  KEY ClaimNum (ClaimNum),
  KEY PatNum (PatNum),
  KEY ClaimPaymentNum (ClaimPaymentNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE claimpayment (
  ClaimPaymentNum bigint(20) NOT NULL AUTO_INCREMENT,
  CheckDate date NOT NULL DEFAULT '0001-01-01',
  CheckAmt double NOT NULL DEFAULT 0,
  CheckNum varchar(25) NOT NULL DEFAULT '',
  BankBranch varchar(25) NOT NULL DEFAULT '',
  Note varchar(255) NOT NULL DEFAULT '',
  ClinicNum bigint(20) NOT NULL DEFAULT 0,
  DepositNum bigint(20) NOT NULL DEFAULT 0,
  CarrierName varchar(255) NOT NULL DEFAULT '',
  DateIssued date NOT NULL DEFAULT '0001-01-01',
  IsPartial tinyint(4) NOT NULL DEFAULT 0,
  PayType bigint(20) NOT NULL DEFAULT 0,
  SecUserNumEntry bigint(20) NOT NULL DEFAULT 0,
  SecDateEntry date NOT NULL DEFAULT '0001-01-01',
  SecDateTEdit timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PayGroup bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (ClaimPaymentNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
;
CREATE TABLE commlog (
  CommlogNum bigint(20) NOT NULL AUTO_INCREMENT,
  PatNum bigint(20) NOT NULL DEFAULT 0,
  CommDateTime datetime NOT NULL DEFAULT '0001-01-01 00:00:00',
  CommType bigint(20) NOT NULL DEFAULT 0,
  Note text NOT NULL DEFAULT '',
  Mode_ tinyint(4) NOT NULL DEFAULT 0,
  SentOrReceived tinyint(4) NOT NULL DEFAULT 0,
  UserNum bigint(20) NOT NULL DEFAULT 0,
  Signature text NOT NULL DEFAULT '',
  SigIsTopaz tinyint(4) NOT NULL DEFAULT 0,
  DateTStamp timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  DateTimeEnd datetime NOT NULL DEFAULT '0001-01-01 00:00:00',
  CommSource tinyint(4) NOT NULL DEFAULT 0,
  ProgramNum bigint(20) NOT NULL DEFAULT 0,
  DateTEntry datetime NOT NULL DEFAULT '0001-01-01 00:00:00',
  ReferralNum bigint(20) NOT NULL DEFAULT 0,
  CommReferralBehavior tinyint(4) NOT NULL DEFAULT 0,
  PRIMARY KEY (CommlogNum),
  KEY PatNum (PatNum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
